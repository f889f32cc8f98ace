"""`finopsmetrics evaluate`: the declared controls act on cost data.

One evaluator per kind family (``budgets``, ``anomalies``; coverage and
policies later) registered in ``registry``; each reads the cost store through
one engine adapter (``engine``) with queries built once (``query``), and
returns rows of the one result model (``model``) that every output renders.
Python only sees the small aggregates that come back (forecasts, anomaly
scores). Nothing here imports DuckDB at module level.
"""

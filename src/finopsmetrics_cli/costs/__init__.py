"""Cost data: the FOCUS cost store, its connectors and `costs sync/show/query/sources`.

Nothing here imports DuckDB or a cloud SDK at module level; the CLI reaches this
package through the `Engine` facade.
"""

"""Pulumi SDK for finopsmetrics: one resource class per kind, on dynamic providers.

``import pulumi_finopsmetrics as finopsmetrics`` then ``finopsmetrics.Budget(...)``,
``finopsmetrics.BudgetAlertArgs(...)``. The classes are generated from the kind
registry (``pulumi_finopsmetrics._codegen``); every operation goes through the
finopsmetrics engine with the stack's manager name, ``pulumi:PROJECT/STACK``.
"""

from __future__ import annotations

from pulumi_finopsmetrics._provider import FinopsProvider
from pulumi_finopsmetrics._resource import FinopsResource, stack_manager
from pulumi_finopsmetrics.functions import *  # noqa: F403
from pulumi_finopsmetrics.functions import __all__ as _functions
from pulumi_finopsmetrics.resources import *  # noqa: F403
from pulumi_finopsmetrics.resources import __all__ as _resources

__all__ = ["FinopsProvider", "FinopsResource", "stack_manager", *_functions, *_resources]

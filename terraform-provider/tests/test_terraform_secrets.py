"""A value written in a secret field never shows in Terraform's output: the provider's
diagnostics say what sort of value it was, not the value."""

from __future__ import annotations

import pytest
from tf_harness import Workspace

pytestmark = [pytest.mark.terraform, pytest.mark.slow]

SECRETS = ("hunter2-not-a-reference", "tok-12345678")


def test_a_secret_literal_is_refused_without_being_shown(ws: Workspace) -> None:
    ws.write("""
variable "hook" {
  type      = string
  sensitive = true
  default   = "hunter2-not-a-reference"
}

variable "token" {
  type      = string
  sensitive = true
  default   = "tok-12345678"
}

resource "finopsmetrics_notification_channel" "ops" {
  name        = "ops"
  type        = "webhook"
  webhook_url = var.hook
  headers     = { "X-Token" = var.token }
}
""")
    plan = ws.run("plan")
    assert plan.rc == 1, plan.text
    got = "a secret field holds a reference, ${env:NAME} or ${file:PATH}, got a literal string"
    assert f"Error: notification_channel 'ops': webhook_url: {got}" in plan.flat
    assert f"Error: notification_channel 'ops': headers.X-Token: {got}" in plan.flat
    for secret in SECRETS:
        assert secret not in plan.text
    assert ws.engine().list_objects() == []

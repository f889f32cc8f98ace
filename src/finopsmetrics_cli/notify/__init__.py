"""Notifications: findings routed to channels (Slack, Teams, PagerDuty, signed
webhooks, email), delivered at most once and recorded in the state's delivery log."""

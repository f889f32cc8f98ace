# New repository: terraform-provider-finopsmetrics
# Install: terraform init

terraform {
  required_providers {
    finopsmetrics = {
      source = "finopsmetrics/finopsmetrics"
      version = "~> 1.0"
    }
  }
}

# Deviation 1 (SPEC 6): the provider talks to a state database, not an endpoint.
provider "finopsmetrics" {
  store = "STATE_PATH"
}

# Budget management
resource "finopsmetrics_budget" "ml_training_budget" {
  name        = "ML Training Q1 2025"
  amount      = 50000
  period      = "monthly"
  currency    = "USD"

  filters = {
    service = "ml-training"
    environment = "production"
  }

  alerts = [
    {
      threshold = 0.8
      channels  = ["slack", "email"]
      recipients = ["ml-team@company.com"]
    },
    {
      threshold = 1.0
      channels  = ["pagerduty"]
      priority  = "high"
    }
  ]
}

# Cost allocation tags
resource "finopsmetrics_tag_rule" "team_tagging" {
  name        = "Automatic team tagging"
  description = "Tag resources by team based on creator"

  rules = [
    {
      condition = "resource.creator_email CONTAINS '@ml-team.'"
      tags = {
        team        = "ml"
        cost_center = "r&d"
      }
    }
  ]
}

# Policy enforcement
resource "finopsmetrics_policy" "prevent_expensive_instances" {
  name        = "Prevent Large Instance Launches"
  description = "Require approval for GPU instances"
  enabled     = true

  condition = <<-EOT
    resource.type == "ec2_instance" AND
    resource.instance_family IN ["p4", "p5"] AND
    requester.role NOT IN ["cto", "infrastructure_leader"]
  EOT

  action {
    type      = "require_approval"
    approvers = ["cto@company.com", "infrastructure-lead@company.com"]
  }
}

# Anomaly detection configuration
resource "finopsmetrics_anomaly_detector" "ml_cost_anomalies" {
  name       = "ML Cost Anomaly Detection"
  enabled    = true

  filters = {
    service = "ml-training"
  }

  model {
    type        = "isolation_forest"
    sensitivity = 0.95
    window      = "7d"
  }

  alerts {
    channels   = ["slack", "pagerduty"]
    recipients = ["#ml-team"]
  }
}

# Dashboard configuration
resource "finopsmetrics_dashboard" "cfo_dashboard" {
  name   = "CFO Executive Dashboard"
  role   = "cfo"
  layout = "3x3_grid"

  widget {
    type     = "cost_trend"
    position = [0, 0]
    size     = [2, 1]

    config = {
      time_range = "30d"
      group_by   = "service"
    }
  }

  widget {
    type     = "budget_status"
    position = [2, 0]
    size     = [1, 1]

    config = {
      show_all_budgets = true
    }
  }
}

# Outputs
output "budget_id" {
  value = finopsmetrics_budget.ml_training_budget.id
}

# Deviation 2 (SPEC 6): the finopsmetrics_cost data source arrives with cost data later.

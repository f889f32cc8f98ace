# Pulumi SDK
import pulumi
import pulumi_finopsmetrics as finopsmetrics

# Budget
budget = finopsmetrics.Budget(
    "ml-training-budget",
    name="ML Training Q1 2025",
    amount=50000,
    period="monthly",
    filters={
        "service": "ml-training",
        "environment": "production",
    },
    alerts=[
        finopsmetrics.BudgetAlertArgs(
            threshold=0.8,
            channels=["slack", "email"],
        ),
    ],
)

# Policy
policy = finopsmetrics.Policy(
    "gpu-approval-policy",
    name="GPU Instance Approval",
    condition="""
        resource.type == "ec2_instance" AND
        resource.instance_family IN ["p4", "p5"]
    """,
    action=finopsmetrics.PolicyActionArgs(
        type="require_approval",
        approvers=["cto@company.com"],
    ),
)

# Export
pulumi.export("budget_id", budget.id)

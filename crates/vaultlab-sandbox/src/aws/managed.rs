//! A tiny catalog of AWS managed policies the lab may attach (`arn:aws:iam::aws:policy/…`).
//! Documents are abridged to the statements that matter here.

pub struct ManagedPolicy {
    pub name: &'static str,
    pub document: &'static str,
}

const CATALOG: &[ManagedPolicy] = &[
    ManagedPolicy {
        name: "AdministratorAccess",
        document: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
    },
    ManagedPolicy {
        name: "ReadOnlyAccess",
        document: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["*:Describe*","*:Get*","*:List*"],"Resource":"*"}]}"#,
    },
    ManagedPolicy {
        name: "AmazonEC2ReadOnlyAccess",
        document: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ec2:Describe*","elasticloadbalancing:Describe*","cloudwatch:ListMetrics","cloudwatch:GetMetricStatistics","cloudwatch:Describe*","autoscaling:Describe*"],"Resource":"*"}]}"#,
    },
    ManagedPolicy {
        name: "AmazonEC2FullAccess",
        document: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ec2:*","elasticloadbalancing:*","cloudwatch:*","autoscaling:*"],"Resource":"*"}]}"#,
    },
    ManagedPolicy {
        name: "IAMReadOnlyAccess",
        document: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:GenerateCredentialReport","iam:GenerateServiceLastAccessedDetails","iam:Get*","iam:List*","iam:SimulateCustomPolicy","iam:SimulatePrincipalPolicy"],"Resource":"*"}]}"#,
    },
];

pub const ARN_PREFIX: &str = "arn:aws:iam::aws:policy/";

/// The managed policy an ARN names, if it is in the catalog.
pub fn lookup(arn: &str) -> Option<&'static ManagedPolicy> {
    let name = arn.strip_prefix(ARN_PREFIX)?;
    CATALOG.iter().find(|p| p.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::policy::{Decision, evaluate, validate};

    #[test]
    fn catalog_documents_are_valid_and_scoped() {
        for p in CATALOG {
            assert!(validate(p.document).is_ok(), "{}", p.name);
        }
        let ro = lookup("arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess").unwrap();
        assert_eq!(
            evaluate([ro.document], "ec2:DescribeInstances", "*"),
            Decision::Allow
        );
        assert_eq!(
            evaluate([ro.document], "ec2:RunInstances", "*"),
            Decision::ImplicitDeny
        );
        assert!(lookup("arn:aws:iam::aws:policy/Nope").is_none());
    }
}

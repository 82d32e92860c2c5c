//! The production gate: a deploy to production needs the confirmation text, whether production is
//! named by the `environment` input or only by where the deploy goes.
//!
//! A target is production when any of these says so:
//! - `environment` is one of `production-environments` (checked first, before anything else);
//! - the SSM prefix has a path segment that is a production environment (`/acme/production/ecs`);
//! - the config file lists the SSM prefix or the cluster under a production environment (a
//!   cluster the file also gives the deploy's own environment is shared, not production), or the
//!   service *in its cluster*: a service is `(cluster, service)`, and every environment may have
//!   its own `web`. A production service whose cluster the file only names through its SSM
//!   prefix is compared once that parameter is read (before any write); one whose cluster
//!   cannot be read is not compared, and the run says so;
//! - the cluster or a service is tagged with one of `environment-tag-keys` whose value is a
//!   production environment (`environment=production`).
//!
//! [`check`] is pure. It runs before any AWS call with what the inputs name, and again after the
//! reads (names from SSM, tags) and before any write. A refusal is a user error: nothing changed.

use std::collections::BTreeMap;

use crate::domain::arn::name_of;
use crate::domain::service::Tag;
use crate::error::UserError;
use crate::input::cli::PRODUCTION_CONFIRMATION;
pub use crate::input::config::{ClusterOf, Listed, ListedService, ListedTarget};

/// The clusters of listed production services that the config file names through an SSM
/// parameter, as read: parameter name → the cluster, or why it is not known.
pub type SsmClusters = BTreeMap<String, Result<String, String>>;

/// What the gate knows from the inputs and the config file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Gate {
    /// Production environment names, as given (compared case-insensitively).
    pub names: Vec<String>,
    /// `confirm-production`, as given.
    pub confirmation: Option<String>,
    /// Tag keys that name a resource's environment.
    pub tag_keys: Vec<String>,
    /// What the config file lists under production environments.
    pub listed: Listed,
}

/// Where a deploy goes, as far as it is known (before the reads: only what inputs name).
#[derive(Debug, Clone, Default)]
pub struct Destination<'a> {
    pub ssm_prefix: Option<&'a str>,
    pub cluster: Option<&'a str>,
    pub cluster_tags: &'a [Tag],
    /// Service names (or ARNs) with their tags.
    pub services: Vec<(&'a str, &'a [Tag])>,
    /// The SSM parameters naming production services' clusters, once read.
    pub ssm_clusters: Option<&'a SsmClusters>,
}

/// Whether a listed production service is the destination's service of that name.
enum Same {
    /// Yes: in this cluster (`None`: the file names no cluster for it, so the name decides).
    Yes(Option<String>),
    No,
    /// Not yet known: the destination's cluster or the listed one is read later.
    Later,
    /// Not known, and it will not be: why.
    Unknown(String),
}

impl Gate {
    /// Whether the confirmation text is exactly right.
    pub fn confirmed(&self) -> bool {
        self.confirmation.as_deref() == Some(PRODUCTION_CONFIRMATION)
    }

    fn is_production(&self, name: &str) -> Option<&str> {
        let name = name.trim();
        self.names
            .iter()
            .find(|p| p.eq_ignore_ascii_case(name))
            .map(String::as_str)
    }

    /// Why `to` is a production destination, if it is.
    pub fn why_production(&self, to: &Destination<'_>) -> Option<String> {
        if let Some(prefix) = to.ssm_prefix {
            if let Some(env) = prefix.split('/').find_map(|s| self.is_production(s)) {
                return Some(format!(
                    "SSM prefix `{prefix}` names production environment `{env}`"
                ));
            }
            if let Some(listed) = self.listed.ssm_prefixes.iter().find(|l| l.name == prefix) {
                return Some(format!(
                    "SSM prefix `{prefix}` belongs to production environment `{}` in the config file",
                    listed.environment
                ));
            }
        }
        for (service, tags) in &to.services {
            let service = name_of(service);
            for listed in self.listed_as(service) {
                match same(listed, to) {
                    Same::Yes(cluster) => {
                        return Some(format!(
                            "service `{service}`{} belongs to production environment `{}` in the config file{}",
                            cluster
                                .as_ref()
                                .map_or(String::new(), |c| format!(" in cluster `{c}`")),
                            listed.environment,
                            if cluster.is_none() {
                                " (which names no cluster for it)"
                            } else {
                                ""
                            }
                        ));
                    }
                    Same::No | Same::Later | Same::Unknown(_) => {}
                }
            }
            if let Some(why) = self.tagged(tags) {
                return Some(format!("service `{service}` is tagged {why}"));
            }
        }
        if let Some(cluster) = to.cluster.map(name_of) {
            if let Some(listed) = self
                .listed
                .clusters
                .iter()
                .find(|l| name_of(&l.name) == cluster)
            {
                return Some(format!(
                    "cluster `{cluster}` belongs to production environment `{}` in the config file",
                    listed.environment
                ));
            }
            if let Some(why) = self.tagged(to.cluster_tags) {
                return Some(format!("cluster `{cluster}` is tagged {why}"));
            }
        }
        None
    }

    /// The production services the config file lists under `service`'s name.
    fn listed_as<'s>(&'s self, service: &'s str) -> impl Iterator<Item = &'s ListedService> {
        self.listed
            .services
            .iter()
            .filter(move |l| name_of(&l.name) == service)
    }

    /// The SSM parameters to read for the gate: those naming the cluster of a listed production
    /// service (read beside the deploy's own, before any write).
    pub fn ssm_clusters(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .listed
            .services
            .iter()
            .filter_map(|l| match &l.cluster {
                ClusterOf::Ssm(parameter) => Some(parameter.clone()),
                ClusterOf::Named(_) | ClusterOf::Unknown => None,
            })
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// The listed production services of the destination's names that could not be compared
    /// with it (their cluster could not be read), one warning each.
    pub fn not_compared(&self, to: &Destination<'_>) -> Vec<String> {
        let mut warnings = Vec::new();
        for (service, _) in &to.services {
            let service = name_of(service);
            for listed in self.listed_as(service) {
                if let Same::Unknown(why) = same(listed, to) {
                    warnings.push(format!(
                        "the config file lists a service `{service}` under production environment `{}`, and its cluster is not known ({why}): the production gate could not tell whether this deploy's `{service}` is that one",
                        listed.environment
                    ));
                }
            }
        }
        warnings
    }

    fn tagged(&self, tags: &[Tag]) -> Option<String> {
        tags.iter().find_map(|tag| {
            let keyed = self
                .tag_keys
                .iter()
                .any(|k| k.eq_ignore_ascii_case(tag.key.trim()));
            let env = self.is_production(&tag.value)?;
            keyed.then(|| {
                format!(
                    "`{}={}`, a production environment (`{env}`)",
                    tag.key, tag.value
                )
            })
        })
    }

    /// Passes a production destination only with the confirmation; says whether it is one.
    pub fn check(&self, to: &Destination<'_>) -> Result<bool, UserError> {
        let Some(why) = self.why_production(to) else {
            return Ok(false);
        };
        if self.confirmed() {
            return Ok(true);
        }
        let hint = format!(
            "this deploy goes to production whatever `environment` says: set `confirm-production` to exactly `{PRODUCTION_CONFIRMATION}`, or check the target"
        );
        Err(match self.confirmation.as_deref() {
            None | Some("") => UserError::new(format!("{why}, and `confirm-production` is empty")),
            Some(text) => UserError::new(format!(
                "{why}, and `confirm-production` is not `{PRODUCTION_CONFIRMATION}` ({})",
                how_it_differs(text, PRODUCTION_CONFIRMATION)
            )),
        }
        .hint(hint))
    }
}

/// Whether `listed` is the destination's service of its name: the same cluster.
fn same(listed: &ListedService, to: &Destination<'_>) -> Same {
    let listed_cluster = match &listed.cluster {
        ClusterOf::Unknown => return Same::Yes(None),
        ClusterOf::Named(cluster) => cluster.clone(),
        ClusterOf::Ssm(parameter) => match to.ssm_clusters.and_then(|read| read.get(parameter)) {
            None => return Same::Later,
            Some(Err(why)) => return Same::Unknown(why.clone()),
            Some(Ok(cluster)) => cluster.clone(),
        },
    };
    let Some(cluster) = to.cluster else {
        return Same::Later;
    };
    let same = if cluster.starts_with("arn:") && listed_cluster.starts_with("arn:") {
        cluster == listed_cluster
    } else {
        name_of(cluster) == name_of(&listed_cluster)
    };
    if same {
        Same::Yes(Some(name_of(&listed_cluster).to_string()))
    } else {
        Same::No
    }
}

/// How `given` differs from `expected`, without quoting `given`: a near miss (spaces, letter case,
/// a lookalike character) is named so it can be fixed.
pub fn how_it_differs(given: &str, expected: &str) -> String {
    if given.trim() == expected {
        return "it has spaces around it".into();
    }
    if given.eq_ignore_ascii_case(expected) {
        return "it differs in letter case".into();
    }
    let mut wanted = expected.chars();
    for (i, c) in given.chars().enumerate() {
        match wanted.next() {
            Some(w) if w == c => {}
            Some(w) if !c.is_ascii() || crate::text::is_hidden(c) => {
                return format!("character {} is U+{:04X}, not `{w}`", i + 1, u32::from(c));
            }
            Some(_) => return format!("it differs at character {}", i + 1),
            None => return format!("it is longer: {} characters", given.chars().count()),
        }
    }
    format!("it is shorter: {} characters", given.chars().count())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gate(confirmation: Option<&str>) -> Gate {
        Gate {
            names: vec!["production".into(), "prod-eu".into()],
            confirmation: confirmation.map(str::to_string),
            tag_keys: vec!["environment".into(), "env".into(), "stage".into()],
            listed: Listed {
                clusters: vec![ListedTarget::new("acme-prod", "production")],
                services: vec![ListedService {
                    name: "acme-prod-api".into(),
                    environment: "production".into(),
                    cluster: ClusterOf::Unknown,
                }],
                ssm_prefixes: vec![ListedTarget::new("/acme/live/ecs", "production")],
            },
        }
    }

    fn tags(pairs: &[(&str, &str)]) -> Vec<Tag> {
        pairs.iter().map(|(k, v)| Tag::new(*k, *v)).collect()
    }

    #[test]
    fn a_production_target_needs_the_confirmation_whatever_the_environment() {
        let tagged = tags(&[("team", "x"), ("Env", " Production ")]);
        let cases: Vec<(Destination<'_>, &str)> = vec![
            (
                Destination {
                    ssm_prefix: Some("/acme/production/ecs"),
                    ..Destination::default()
                },
                "SSM prefix `/acme/production/ecs` names production environment `production`",
            ),
            (
                Destination {
                    ssm_prefix: Some("/acme/live/ecs"),
                    ..Destination::default()
                },
                "SSM prefix `/acme/live/ecs` belongs to production environment `production` in the config file",
            ),
            (
                Destination {
                    cluster: Some("arn:aws:ecs:us-east-1:1:cluster/acme-prod"),
                    ..Destination::default()
                },
                "cluster `acme-prod` belongs to production environment `production` in the config file",
            ),
            (
                Destination {
                    services: vec![("acme-prod-api", &[])],
                    ..Destination::default()
                },
                "service `acme-prod-api` belongs to production environment `production` in the config file (which names no cluster for it)",
            ),
            (
                Destination {
                    cluster: Some("shared"),
                    cluster_tags: &tagged,
                    ..Destination::default()
                },
                "cluster `shared` is tagged `Env= Production `, a production environment (`production`)",
            ),
            (
                Destination {
                    services: vec![("api", &tagged)],
                    ..Destination::default()
                },
                "service `api` is tagged `Env= Production `, a production environment (`production`)",
            ),
        ];
        for (to, why) in &cases {
            let err = gate(None).check(to).unwrap_err();
            assert_eq!(
                err.message,
                format!("{why}, and `confirm-production` is empty")
            );
            assert!(
                gate(Some("DEPLOY TO PRODUCTION")).check(to).unwrap(),
                "{why}"
            );
            let err = gate(Some("deploy to production")).check(to).unwrap_err();
            assert!(err.message.ends_with("(it differs in letter case)"));
        }
    }

    #[test]
    fn other_targets_pass_without_confirmation() {
        let dev_tags = tags(&[("environment", "dev"), ("owner", "production")]);
        let to = Destination {
            ssm_prefix: Some("/acme/dev/ecs"),
            cluster: Some("acme-dev"),
            cluster_tags: &dev_tags,
            services: vec![("acme-dev-api", &dev_tags)],
            ssm_clusters: None,
        };
        assert_eq!(gate(None).check(&to), Ok(false));
        assert!(
            gate(None)
                .check(&Destination {
                    ssm_prefix: Some("/acme/productionish/ecs"),
                    ..Destination::default()
                })
                .is_ok(),
            "a segment must be the name, not contain it"
        );
    }

    /// A config file whose environments each have a `web`: production's in `acme-prod` (named,
    /// or read from its SSM prefix).
    fn same_names(cluster: ClusterOf) -> Gate {
        Gate {
            listed: Listed {
                services: vec![ListedService {
                    name: "web".into(),
                    environment: "production".into(),
                    cluster,
                }],
                ..Listed::default()
            },
            ..gate(None)
        }
    }

    #[test]
    fn a_service_is_production_only_in_the_production_cluster() {
        let read: SsmClusters = BTreeMap::from([(
            "/acme/production/ecs/cluster-name".to_string(),
            Ok("arn:aws:ecs:us-east-1:1:cluster/acme-prod".to_string()),
        )]);
        for listed in [
            ClusterOf::Named("acme-prod".into()),
            ClusterOf::Ssm("/acme/production/ecs/cluster-name".into()),
        ] {
            let gate = same_names(listed.clone());
            let to = |cluster: Option<&'static str>| Destination {
                cluster,
                services: vec![("web", &[])],
                ssm_clusters: Some(&read),
                ..Destination::default()
            };
            // dev's `web` lives in dev's cluster: not production, whatever its name.
            assert_eq!(gate.check(&to(Some("acme-dev"))), Ok(false), "{listed:?}");
            assert!(gate.not_compared(&to(Some("acme-dev"))).is_empty());
            // Before the reads the cluster is not known: no refusal by name alone.
            assert_eq!(gate.check(&to(None)), Ok(false), "{listed:?}");
            // The production cluster's `web` is production (by name or ARN).
            for cluster in ["acme-prod", "arn:aws:ecs:us-east-1:1:cluster/acme-prod"] {
                assert_eq!(
                    gate.check(&to(Some(cluster))).unwrap_err().message,
                    "service `web` in cluster `acme-prod` belongs to production environment `production` in the config file, and `confirm-production` is empty",
                    "{listed:?}"
                );
            }
        }
        // Two ARNs of clusters with one name in different accounts are different clusters.
        let gate = same_names(ClusterOf::Named(
            "arn:aws:ecs:us-east-1:111111111111:cluster/main".into(),
        ));
        let to = |cluster| Destination {
            cluster: Some(cluster),
            services: vec![("web", &[])],
            ..Destination::default()
        };
        assert_eq!(
            gate.check(&to("arn:aws:ecs:us-east-1:222222222222:cluster/main")),
            Ok(false)
        );
        assert!(
            gate.check(&to("arn:aws:ecs:us-east-1:111111111111:cluster/main"))
                .is_err()
        );
    }

    #[test]
    fn a_production_cluster_that_cannot_be_read_is_said_not_guessed() {
        let gate = same_names(ClusterOf::Ssm("/acme/production/ecs/cluster-name".into()));
        assert_eq!(gate.ssm_clusters(), ["/acme/production/ecs/cluster-name"]);
        let read: SsmClusters = BTreeMap::from([(
            "/acme/production/ecs/cluster-name".to_string(),
            Err("SSM parameter `/acme/production/ecs/cluster-name` does not exist in this account and region".to_string()),
        )]);
        let to = Destination {
            cluster: Some("acme-dev"),
            services: vec![("web", &[]), ("worker", &[])],
            ssm_clusters: Some(&read),
            ..Destination::default()
        };
        assert_eq!(gate.check(&to), Ok(false));
        assert_eq!(
            gate.not_compared(&to),
            [
                "the config file lists a service `web` under production environment `production`, and its cluster is not known (SSM parameter `/acme/production/ecs/cluster-name` does not exist in this account and region): the production gate could not tell whether this deploy's `web` is that one"
            ]
        );
        // Nothing to read when the file names the clusters.
        assert!(
            same_names(ClusterOf::Named("acme-prod".into()))
                .ssm_clusters()
                .is_empty()
        );
    }
}

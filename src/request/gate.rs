//! The production gate: a deploy to production needs the confirmation text, whether production is
//! named by the `environment` input or only by where the deploy goes.
//!
//! A target is production when any of these says so:
//! - `environment` is one of `production-environments` (checked first, before anything else);
//! - the SSM prefix has a path segment that is a production environment (`/acme/production/ecs`);
//! - the config file lists the SSM prefix, the service, or the cluster under a production
//!   environment (a cluster the file also gives the deploy's own environment is shared, not
//!   production);
//! - the cluster or a service is tagged with one of `environment-tag-keys` whose value is a
//!   production environment (`environment=production`).
//!
//! [`check`] is pure. It runs before any AWS call with what the inputs name, and again after the
//! reads (names from SSM, tags) and before any write. A refusal is a user error: nothing changed.

use crate::domain::arn::name_of;
use crate::domain::ecs::Tag;
use crate::error::UserError;
use crate::input::cli::PRODUCTION_CONFIRMATION;
pub use crate::input::config::{Listed, ListedTarget};

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
            if let Some(listed) = self
                .listed
                .services
                .iter()
                .find(|l| name_of(&l.name) == service)
            {
                return Some(format!(
                    "service `{service}` belongs to production environment `{}` in the config file",
                    listed.environment
                ));
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
                services: vec![ListedTarget::new("acme-prod-api", "production")],
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
                "service `acme-prod-api` belongs to production environment `production` in the config file",
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
}

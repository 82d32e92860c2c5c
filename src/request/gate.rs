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

use crate::error::UserError;
use crate::input::cli::PRODUCTION_CONFIRMATION;

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

/// Targets the config file lists under its production environments.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Listed {
    /// `(name, environment)` pairs.
    pub clusters: Vec<(String, String)>,
    pub services: Vec<(String, String)>,
    pub ssm_prefixes: Vec<(String, String)>,
}

/// Where a deploy goes, as far as it is known (before the reads: only what inputs name).
#[derive(Debug, Clone, Default)]
pub struct Destination<'a> {
    pub ssm_prefix: Option<&'a str>,
    pub cluster: Option<&'a str>,
    pub cluster_tags: &'a [(String, String)],
    /// Service names (or ARNs) with their tags.
    pub services: Vec<(&'a str, &'a [(String, String)])>,
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
            if let Some((_, env)) = self.listed.ssm_prefixes.iter().find(|(p, _)| p == prefix) {
                return Some(format!(
                    "SSM prefix `{prefix}` belongs to production environment `{env}` in the config file"
                ));
            }
        }
        for (service, tags) in &to.services {
            let service = last_part(service);
            if let Some((_, env)) = self
                .listed
                .services
                .iter()
                .find(|(s, _)| last_part(s) == service)
            {
                return Some(format!(
                    "service `{service}` belongs to production environment `{env}` in the config file"
                ));
            }
            if let Some(why) = self.tagged(tags) {
                return Some(format!("service `{service}` is tagged {why}"));
            }
        }
        if let Some(cluster) = to.cluster.map(last_part) {
            if let Some((_, env)) = self
                .listed
                .clusters
                .iter()
                .find(|(c, _)| last_part(c) == cluster)
            {
                return Some(format!(
                    "cluster `{cluster}` belongs to production environment `{env}` in the config file"
                ));
            }
            if let Some(why) = self.tagged(to.cluster_tags) {
                return Some(format!("cluster `{cluster}` is tagged {why}"));
            }
        }
        None
    }

    fn tagged(&self, tags: &[(String, String)]) -> Option<String> {
        tags.iter().find_map(|(key, value)| {
            let keyed = self
                .tag_keys
                .iter()
                .any(|k| k.eq_ignore_ascii_case(key.trim()));
            let env = self.is_production(value)?;
            keyed.then(|| format!("`{key}={value}`, a production environment (`{env}`)"))
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

/// The name part of an ARN (`…:cluster/main` → `main`, `…:service/main/api` → `api`).
fn last_part(name_or_arn: &str) -> &str {
    name_or_arn.rsplit('/').next().unwrap_or(name_or_arn)
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
            Some(w) if !c.is_ascii() || crate::report::markdown::is_hidden(c) => {
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
                clusters: vec![("acme-prod".into(), "production".into())],
                services: vec![("acme-prod-api".into(), "production".into())],
                ssm_prefixes: vec![("/acme/live/ecs".into(), "production".into())],
            },
        }
    }

    fn tags(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect()
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

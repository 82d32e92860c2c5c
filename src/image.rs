//! Image references and ECR repository URIs.

use std::fmt;

/// A container image reference: `registry/path[:tag][@sha256:...]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    /// Everything before the tag and digest, registry host included when given.
    pub repository: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

impl ImageRef {
    /// Parses a reference; the error says what is wrong with it (without the input's name).
    pub fn parse(text: &str) -> Result<Self, String> {
        if text.is_empty() || text.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err("an image reference has no spaces or control characters".into());
        }
        let (rest, digest) = match text.split_once('@') {
            Some((rest, digest)) => {
                if !is_digest(digest) {
                    return Err("the digest is not `sha256:` and 64 hex digits".into());
                }
                (rest, Some(digest.to_string()))
            }
            None => (text, None),
        };
        let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
        let (repository, tag) = match rest[last_slash..].rfind(':') {
            Some(i) => (&rest[..last_slash + i], Some(&rest[last_slash + i + 1..])),
            None => (rest, None),
        };
        if let Some(tag) = tag {
            if !is_tag(tag) {
                return Err(format!("the tag is not a valid tag ({TAG_RULE})"));
            }
        }
        if repository.is_empty() || !repository.split('/').all(is_path_component) {
            return Err("the repository is not a valid image repository".into());
        }
        if tag.is_none() && digest.is_none() {
            return Err("give a tag (`repo:tag`) or a digest (`repo@sha256:...`)".into());
        }
        Ok(Self {
            repository: repository.to_string(),
            tag: tag.map(str::to_string),
            digest,
        })
    }

    /// The repository pinned by digest: `repo@sha256:...`, or the full reference when no digest.
    pub fn pinned(&self) -> String {
        match &self.digest {
            Some(digest) => format!("{}@{digest}", self.repository),
            None => self.to_string(),
        }
    }
}

impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.repository)?;
        if let Some(tag) = &self.tag {
            write!(f, ":{tag}")?;
        }
        if let Some(digest) = &self.digest {
            write!(f, "@{digest}")?;
        }
        Ok(())
    }
}

pub const TAG_RULE: &str =
    "letters, digits, `_`, `.` and `-`, not starting with `.` or `-`, at most 128";

/// Docker's tag grammar: `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
pub fn is_tag(tag: &str) -> bool {
    let mut chars = tag.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphanumeric() || c == '_')
        && tag.len() <= 128
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

pub fn is_digest(digest: &str) -> bool {
    digest
        .strip_prefix("sha256:")
        .is_some_and(|hex| hex.len() == 64 && hex.chars().all(|c| c.is_ascii_hexdigit()))
}

fn is_path_component(part: &str) -> bool {
    !part.is_empty()
        && part
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | ':'))
}

/// An ECR repository: `<registry-id>.dkr.ecr.<region>.<domain>/<name>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcrRepository {
    pub registry_id: String,
    pub region: String,
    pub domain: String,
    pub name: String,
}

impl EcrRepository {
    /// Parses an ECR repository URI (no tag); `None` when the host is not an ECR registry.
    pub fn parse_uri(uri: &str) -> Option<Self> {
        let (host, name) = uri.split_once('/')?;
        let (registry_id, rest) = host.split_once(".dkr.ecr.")?;
        let (region, domain) = rest.split_once('.')?;
        let valid = registry_id.len() == 12
            && registry_id.chars().all(|c| c.is_ascii_digit())
            && !name.is_empty();
        valid.then(|| Self {
            registry_id: registry_id.to_string(),
            region: region.to_string(),
            domain: domain.to_string(),
            name: name.to_string(),
        })
    }

    pub fn uri(&self) -> String {
        format!(
            "{}.dkr.ecr.{}.{}/{}",
            self.registry_id, self.region, self.domain, self.name
        )
    }
}

/// A repository as the user named it: a bare name (our account and region) or a full ECR URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RepositoryRef {
    Name(String),
    Uri(EcrRepository),
}

impl RepositoryRef {
    pub fn parse(text: &str) -> Result<Self, String> {
        if text.contains('/') && text.contains(".dkr.ecr.") {
            let without_tag = text.split(['@']).next().unwrap_or(text);
            return EcrRepository::parse_uri(without_tag)
                .map(Self::Uri)
                .ok_or_else(|| {
                    "not an ECR repository URI (`<account>.dkr.ecr.<region>.amazonaws.com/<name>`)"
                        .to_string()
                });
        }
        let valid = !text.is_empty()
            && text.len() <= 256
            && text.split('/').all(|part| {
                !part.is_empty()
                    && part.chars().all(|c| {
                        c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-')
                    })
            });
        if valid {
            Ok(Self::Name(text.to_string()))
        } else {
            Err("not an ECR repository name (lowercase letters, digits, `.`, `_`, `-`, `/`)".into())
        }
    }

    pub fn name(&self) -> &str {
        match self {
            Self::Name(name) => name,
            Self::Uri(repo) => &repo.name,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGEST: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn parses_tag_digest_and_registry_port() {
        let r =
            ImageRef::parse("123456789012.dkr.ecr.us-east-1.amazonaws.com/app/api:v1.2").unwrap();
        assert_eq!(
            r.repository,
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/app/api"
        );
        assert_eq!(r.tag.as_deref(), Some("v1.2"));
        let r = ImageRef::parse(&format!("localhost:5000/api@{DIGEST}")).unwrap();
        assert_eq!(
            (r.repository.as_str(), r.tag.as_deref()),
            ("localhost:5000/api", None)
        );
        assert_eq!(r.pinned(), format!("localhost:5000/api@{DIGEST}"));
        let r = ImageRef::parse(&format!("api:v1@{DIGEST}")).unwrap();
        assert_eq!(r.to_string(), format!("api:v1@{DIGEST}"));
        assert_eq!(r.pinned(), format!("api@{DIGEST}"));
    }

    #[test]
    fn refuses_bad_references() {
        assert!(ImageRef::parse("api").unwrap_err().contains("give a tag"));
        assert!(
            ImageRef::parse("api:-bad")
                .unwrap_err()
                .contains("the tag is not a valid tag")
        );
        assert!(
            ImageRef::parse("api@sha256:xyz")
                .unwrap_err()
                .contains("digest")
        );
        assert!(ImageRef::parse("api:v1\n::error::x").is_err());
        assert!(ImageRef::parse("a b:v1").is_err());
    }

    #[test]
    fn tags_follow_dockers_grammar() {
        assert!(
            is_tag("sha-0a1b2c3") && is_tag("v1.2.3") && is_tag("_x") && is_tag(&"a".repeat(128))
        );
        assert!(
            !is_tag("")
                && !is_tag(".x")
                && !is_tag("-x")
                && !is_tag("a/b")
                && !is_tag(&"a".repeat(129))
        );
        assert!(!is_tag("v1|x") && !is_tag("v1<script>"));
    }

    #[test]
    fn ecr_uris_round_trip_and_other_registries_are_not_ecr() {
        let repo =
            EcrRepository::parse_uri("123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/api")
                .unwrap();
        assert_eq!(
            (repo.region.as_str(), repo.name.as_str()),
            ("eu-west-1", "team/api")
        );
        assert_eq!(
            repo.uri(),
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/api"
        );
        assert!(EcrRepository::parse_uri("ghcr.io/org/api").is_none());
        assert!(EcrRepository::parse_uri("nginx").is_none());
    }

    #[test]
    fn repository_inputs_accept_names_and_uris() {
        assert_eq!(
            RepositoryRef::parse("team/api").unwrap(),
            RepositoryRef::Name("team/api".into())
        );
        assert_eq!(
            RepositoryRef::parse("123456789012.dkr.ecr.us-east-1.amazonaws.com/api")
                .unwrap()
                .name(),
            "api"
        );
        assert!(RepositoryRef::parse("Team/API").is_err());
        assert!(RepositoryRef::parse("").is_err());
    }
}

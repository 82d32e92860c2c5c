//! Image references and ECR repository URIs.

use std::fmt;

/// A container image reference, parsed by the distribution reference grammar (`docker pull`'s):
///
/// ```text
/// reference      := name [ ":" tag ] [ "@" digest ]
/// name           := [ domain "/" ] path-component { "/" path-component }      (at most 255)
/// domain         := host [ ":" port ]          host := label { "." label }    label := [A-Za-z0-9] [A-Za-z0-9-]* (no "-" at either end)
/// path-component := alnum { separator alnum }  alnum := [a-z0-9]+   separator := "." | "_" | "__" | "-"+
/// tag            := [A-Za-z0-9_] [A-Za-z0-9_.-]{0,127}
/// digest         := "sha256:" [a-f0-9]{64}    (stricter than the grammar: the only digest ECR uses)
/// ```
///
/// The first component is the registry when it has a `.` or a `:`, is `localhost`, or has
/// upper-case letters, as `docker` decides it; otherwise the image is on Docker Hub.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    /// Everything before the tag and digest, registry host included when given.
    pub repository: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

/// The longest image name (registry and path) the grammar allows.
const NAME_MAX: usize = 255;

impl ImageRef {
    /// Parses a reference; the error says what is wrong with it (without the input's name, and
    /// without quoting it).
    pub fn parse(text: &str) -> Result<Self, String> {
        if text.is_empty() || text.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err("an image reference has no spaces or control characters".into());
        }
        let (repository, tag, digest) = split_reference(text);
        if digest.is_some_and(|d| !is_digest(d)) {
            return Err("the digest is not `sha256:` and 64 lower-case hex digits".into());
        }
        let digest = digest.map(str::to_string);
        if let Some(tag) = tag
            && !is_tag(tag)
        {
            return Err(format!("the tag is not a valid tag ({TAG_RULE})"));
        }
        check_name(repository)?;
        if tag.is_none() && digest.is_none() {
            return Err("give a tag (`repo:tag`) or a digest (`repo@sha256:...`)".into());
        }
        Ok(Self {
            repository: repository.to_string(),
            tag: tag.map(str::to_string),
            digest,
        })
    }

    /// A reference as a container runtime reads it (a task definition's `image`): one without a
    /// tag or digest is `:latest`.
    pub fn parse_pulled(text: &str) -> Result<Self, String> {
        let (_, tag, digest) = split_reference(text);
        if tag.is_none() && digest.is_none() && !text.is_empty() {
            return Self::parse(&format!("{text}:latest"));
        }
        Self::parse(text)
    }

    /// The registry host (and port) the reference names, if any; `None` means Docker Hub.
    pub fn registry(&self) -> Option<&str> {
        split_domain(&self.repository).0
    }

    /// The repository pinned by digest: `repo@sha256:...`, or the full reference when no digest.
    pub fn pinned(&self) -> String {
        match &self.digest {
            Some(digest) => format!("{}@{digest}", self.repository),
            None => self.to_string(),
        }
    }
}

/// The repository of an image reference as a task definition holds it (`repo:tag@digest` →
/// `repo`), without checking the grammar.
pub fn repository_of(image: &str) -> &str {
    split_reference(image).0
}

/// `name[:tag][@digest]` split at the digest's `@` and the tag's last `:` after the last `/`.
fn split_reference(text: &str) -> (&str, Option<&str>, Option<&str>) {
    let (rest, digest) = match text.split_once('@') {
        Some((rest, digest)) => (rest, Some(digest)),
        None => (text, None),
    };
    let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
    match rest[last_slash..].rfind(':') {
        Some(i) => (
            &rest[..last_slash + i],
            Some(&rest[last_slash + i + 1..]),
            digest,
        ),
        None => (rest, None, digest),
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

/// The registry part of a name (as `docker` splits it) and the path after it.
fn split_domain(name: &str) -> (Option<&str>, &str) {
    match name.split_once('/') {
        Some((first, path))
            if first.contains(['.', ':'])
                || first == "localhost"
                || first.chars().any(|c| c.is_ascii_uppercase()) =>
        {
            (Some(first), path)
        }
        _ => (None, name),
    }
}

/// Checks an image name (registry and path) against the grammar.
fn check_name(name: &str) -> Result<(), String> {
    if name.len() > NAME_MAX {
        return Err(format!(
            "the image name is {} characters long (at most {NAME_MAX})",
            name.len()
        ));
    }
    let (domain, path) = split_domain(name);
    if let Some(domain) = domain
        && !is_domain(domain)
    {
        return Err("the registry is not a host name with an optional `:port`".into());
    }
    if path.is_empty() || !path.split('/').all(is_path_component) {
        return Err(
            "the repository path uses lower-case letters and digits, separated by `/`, `.`, `_`, `__` or dashes"
                .into(),
        );
    }
    Ok(())
}

/// `host[:port]`: dot-separated labels of letters, digits and inner dashes.
fn is_domain(domain: &str) -> bool {
    let (host, port) = match domain.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (domain, None),
    };
    let label = |l: &str| {
        !l.is_empty()
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    host.split('.').all(label)
        && port.is_none_or(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
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

/// `sha256:` and 64 lower-case hex digits (what ECR and ECS write).
pub fn is_digest(digest: &str) -> bool {
    digest.strip_prefix("sha256:").is_some_and(|hex| {
        hex.len() == 64
            && hex
                .chars()
                .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
    })
}

/// `alnum (separator alnum)*` with `alnum = [a-z0-9]+` and `separator = . | _ | __ | -+`.
fn is_path_component(part: &str) -> bool {
    let alnum = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    let bytes: Vec<char> = part.chars().collect();
    let mut i = 0;
    let mut expect_alnum = true;
    while i < bytes.len() {
        if expect_alnum {
            if !alnum(bytes[i]) {
                return false;
            }
            while i < bytes.len() && alnum(bytes[i]) {
                i += 1;
            }
            expect_alnum = false;
        } else {
            let start = i;
            while i < bytes.len() && !alnum(bytes[i]) {
                i += 1;
            }
            let separator: String = bytes[start..i].iter().collect();
            let ok = matches!(separator.as_str(), "." | "_" | "__")
                || (!separator.is_empty() && separator.chars().all(|c| c == '-'));
            if !ok {
                return false;
            }
            expect_alnum = true;
        }
    }
    !bytes.is_empty() && !expect_alnum
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
            && is_domain(host)
            && !name.is_empty()
            && name.split('/').all(is_path_component);
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

/// The URI of ECR repository `name` of account `registry_id` in `region` (China regions have
/// their own domain).
pub fn ecr_uri(registry_id: &str, region: &str, name: &str) -> String {
    let domain = super::arn::Partition::of(region).dns_suffix();
    format!("{registry_id}.dkr.ecr.{region}.{domain}/{name}")
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
        let valid = !text.is_empty() && text.len() <= 256 && text.split('/').all(is_path_component);
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

    #[test]
    fn a_pulled_reference_without_tag_or_digest_is_latest() {
        let r = ImageRef::parse_pulled("123456789012.dkr.ecr.us-east-1.amazonaws.com/api").unwrap();
        assert_eq!(r.tag.as_deref(), Some("latest"));
        assert_eq!(r.digest, None);
        let r = ImageRef::parse_pulled("localhost:5000/api").unwrap();
        assert_eq!(
            (r.repository.as_str(), r.tag.as_deref()),
            ("localhost:5000/api", Some("latest"))
        );
        assert_eq!(
            ImageRef::parse_pulled("api:v2").unwrap().tag.as_deref(),
            Some("v2")
        );
        assert!(
            ImageRef::parse("api").is_err(),
            "inputs still need a tag or digest"
        );
        assert!(ImageRef::parse_pulled("").is_err());
    }

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
        // The two that were accepted before.
        assert!(
            ImageRef::parse("acme/web:1.5.0:extra")
                .unwrap_err()
                .contains("repository path")
        );
        assert!(
            ImageRef::parse(&format!(
                "api@{}",
                DIGEST.to_uppercase().replace("SHA256", "sha256")
            ))
            .unwrap_err()
            .contains("lower-case hex")
        );
        for bad in [
            "acme/Web:v1",
            "acme//web:v1",
            "acme/web-:v1",
            "acme/-web:v1",
            "acme/we..b:v1",
            "host:port/web:v1",
            "-host.com/web:v1",
            "host.com:/web:v1",
            &format!("{}:v1", "a".repeat(256)),
        ] {
            assert!(ImageRef::parse(bad).is_err(), "{bad}");
        }
        for good in [
            "acme/web__x.y-z---w:v1",
            "Registry.Example.com:5000/a/b/c:V_1",
            "localhost/web:v1",
            "xn--n3h.com/myimage:xn--n3h.com",
        ] {
            assert!(ImageRef::parse(good).is_ok(), "{good}");
        }
        assert_eq!(
            ImageRef::parse("acme/web:v1").unwrap().registry(),
            None,
            "Docker Hub"
        );
        assert_eq!(
            ImageRef::parse("ghcr.io/acme/web:v1").unwrap().registry(),
            Some("ghcr.io")
        );
    }

    mod against_an_independent_parser {
        use oci_spec::distribution::Reference;
        use proptest::prelude::*;

        use super::*;

        /// Strings near the grammar: its alphabet in random order, and valid references mutated.
        fn near_references() -> impl Strategy<Value = String> {
            prop_oneof![
                "[a-zA-Z0-9._:/@-]{1,40}",
                "([a-z0-9]{1,5}[._-]{0,2}){1,3}(/[a-z0-9]{1,4}([._-]{1,3}[a-z0-9]{1,3})?){0,3}(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,6})?",
                "([a-zA-Z0-9-]{1,6}\\.){0,2}[a-zA-Z0-9-]{1,6}(:[0-9]{1,5})?/[a-z0-9._-]{1,8}(:[a-zA-Z0-9._-]{1,8})?(@sha256:[a-fA-F0-9]{62,65})?",
            ]
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(2000))]

            /// Whatever we accept, docker's grammar accepts, with the same tag and digest and the
            /// same name. What it accepts and we refuse is only what we are stricter about: a
            /// reference with neither tag nor digest, or a digest that is not lower-case sha256.
            #[test]
            fn we_agree_with_dockers_grammar(text in near_references()) {
                let ours = ImageRef::parse(&text);
                let theirs = text.parse::<Reference>();
                match (&ours, &theirs) {
                    (Ok(ours), Ok(theirs)) => {
                        prop_assert_eq!(ours.tag.as_deref(), theirs.tag());
                        prop_assert_eq!(ours.digest.as_deref(), theirs.digest());
                        let path = split_domain(&ours.repository).1;
                        prop_assert!(theirs.repository().ends_with(path), "{} vs {}", path, theirs.repository());
                        // Docker also takes an upper-case first component for a registry; the
                        // port of its grammar we test against does not.
                        let first = ours.repository.split('/').next().unwrap_or_default();
                        if ours.repository.contains('/') && !first.chars().any(|c| c.is_ascii_uppercase()) {
                            prop_assert_eq!(ours.registry().unwrap_or("docker.io"), theirs.registry());
                        }
                    }
                    (Ok(_), Err(e)) => prop_assert!(false, "we accept what docker refuses ({e:?})"),
                    (Err(why), Ok(theirs)) => {
                        // Stricter on purpose: no tag and no digest; a digest that is not
                        // lower-case sha256; a "registry" that is no host name (`a.b_c/x`, which
                        // the grammar takes as a path component, then as the registry).
                        let stricter = (!text.contains(':') || text.rfind(':') < text.rfind('/'))
                            && !text.contains('@')
                            || theirs.digest().is_some_and(|d| !is_digest(d))
                            || !is_domain(theirs.registry());
                        prop_assert!(stricter, "docker accepts, we refuse: {why}");
                    }
                    (Err(_), Err(_)) => {}
                }
            }
        }
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

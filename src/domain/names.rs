//! The name grammars ECS and ecs-ship accept: ECS names, environment variable names, deploy
//! environment names. Pure, and imported by the other domain modules (it imports none).

/// An ECS name (cluster, service, family, container): 1 to 255 letters, digits, `-` and `_`.
pub fn is_ecs_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 255
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// A container environment variable or secret name, as ECS takes it.
pub fn is_env_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// A deploy environment name (the `environment` input, a GitHub environment).
pub fn is_environment_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphanumeric())
        && name.len() <= 64
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

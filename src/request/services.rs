//! The `services` list, checked: valid names, each service once, each variable once.

use super::parse::check_names;
use crate::domain::names::is_ecs_name;
use crate::error::UserError;
use crate::input::services::ServiceSpec;
use crate::text::{first_duplicate, plain_name, problem};

/// Refuses the first service of the list (from the step or the config file) that is wrong.
pub fn check(specs: &[ServiceSpec]) -> Result<(), UserError> {
    for (i, spec) in specs.iter().enumerate() {
        let at = format!("`services[{i}]`");
        if !is_ecs_name(&spec.service) {
            return Err(UserError::new(format!(
                "{at}: the service name is invalid{}: use letters, digits, `-` and `_` (at most 255)",
                problem(&spec.service).map_or_else(String::new, |p| format!(" ({p})"))
            )));
        }
        // Positions, not the name: an error names the input, never its value.
        if let Some(first) = specs[..i].iter().position(|s| s.service == spec.service) {
            return Err(UserError::new(format!(
                "{at}: the same service as `services[{first}]` (each service is listed once)"
            )));
        }
        for (list, names) in [
            ("environment-variables", &spec.environment_variables),
            ("secrets", &spec.secrets),
        ] {
            if let Some(name) = first_duplicate(names.iter().map(|(n, _)| n)) {
                let which =
                    plain_name(name).map_or_else(|| "a name".to_string(), |n| format!("`{n}`"));
                return Err(UserError::new(format!("{at}.{list} names {which} twice")));
            }
        }
    }
    Ok(())
}

/// The variable and secret names of every service.
pub fn check_variable_names(specs: &[ServiceSpec]) -> Result<(), UserError> {
    for spec in specs {
        check_names("services", "variable", &spec.environment_variables)?;
        check_names("services", "variable", &spec.secrets)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::services::parse;

    #[test]
    fn duplicates_and_bad_names_are_refused() {
        let refused = |text: &str| check(&parse(text).unwrap()).unwrap_err().message;
        assert_eq!(
            refused("- api\n- api\n"),
            "`services[1]`: the same service as `services[0]` (each service is listed once)"
        );
        assert!(refused("- \"a b\"\n").contains("the service name is invalid"));
        assert_eq!(
            refused("- service: w\n  secrets: {A: x, A: y}\n"),
            "`services[0]`.secrets names `A` twice"
        );
        assert_eq!(
            refused("- api\n- worker\n- service: api\n"),
            "`services[2]`: the same service as `services[0]` (each service is listed once)"
        );
        assert!(check(&parse("- api\n- worker\n").unwrap()).is_ok());
    }
}

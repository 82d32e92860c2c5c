use super::*;

fn all_fields() -> Value {
    serde_json::from_str(include_str!(
        "../../../tests/fixtures/describe-all-fields.json"
    ))
    .unwrap()
}

const NEW_IMAGE: &str = "123456789012.dkr.ecr.us-east-1.amazonaws.com/api@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

fn web_changes() -> Changes {
    Changes {
        containers: vec!["web".into()],
        image: NEW_IMAGE.into(),
        ..Changes::default()
    }
}

#[test]
fn registrable_drops_exactly_the_read_only_fields_and_lifts_tags() {
    let described = all_fields();
    let body = registrable(&described);
    let mut expected = described["taskDefinition"].as_object().unwrap().clone();
    for field in READ_ONLY_FIELDS {
        assert!(
            expected.remove(*field).is_some(),
            "fixture lacks read-only field {field}"
        );
    }
    expected.insert("tags".into(), described["tags"].clone());
    assert_eq!(body, Value::Object(expected));
}

#[test]
fn round_trip_keeps_every_documented_and_unknown_field() {
    let described = all_fields();
    let rendered = render(&described, &web_changes()).unwrap();
    let mut expected = registrable(&described);
    expected["containerDefinitions"][0]["image"] = json!(NEW_IMAGE);
    assert_eq!(rendered, expected, "only the image may change");
    // Spot-check the fields a field-by-field copy is known to drop.
    for field in [
        "volumes",
        "tags",
        "runtimePlatform",
        "ephemeralStorage",
        "proxyConfiguration",
        "enableFaultInjection",
        "someFieldFromTheFuture",
        "inferenceAccelerators",
        "pidMode",
        "ipcMode",
        "placementConstraints",
    ] {
        assert_eq!(rendered[field], registrable(&described)[field], "{field}");
    }
    assert_eq!(
        rendered["containerDefinitions"][0]["aContainerFieldFromTheFuture"],
        "kept"
    );
    assert_eq!(
        rendered["containerDefinitions"][1], described["taskDefinition"]["containerDefinitions"][1],
        "untargeted container untouched"
    );
}

#[test]
fn env_and_secrets_merge_by_name_in_place() {
    let changes = Changes {
        environment: vec![
            ("LOG_LEVEL".into(), "debug".into()),
            ("NEW".into(), "1.10".into()),
        ],
        secrets: vec![(
            "API_KEY".into(),
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:api".into(),
        )],
        ..web_changes()
    };
    let rendered = render(&all_fields(), &changes).unwrap();
    let web = &rendered["containerDefinitions"][0];
    assert_eq!(
        web["environment"],
        json!([{"name": "PORT", "value": "8080"}, {"name": "LOG_LEVEL", "value": "debug"}, {"name": "NEW", "value": "1.10"}])
    );
    assert_eq!(
        web["secrets"][1],
        json!({"name": "API_KEY", "valueFrom": "arn:aws:secretsmanager:us-east-1:123456789012:secret:api"})
    );
}

#[test]
fn a_name_moves_between_environment_and_secrets() {
    let changes = Changes {
        secrets: vec![(
            "PORT".into(),
            "arn:aws:ssm:us-east-1:123456789012:parameter/port".into(),
        )],
        ..web_changes()
    };
    let rendered = render(&all_fields(), &changes).unwrap();
    let web = &rendered["containerDefinitions"][0];
    assert_eq!(
        web["environment"],
        json!([{"name": "LOG_LEVEL", "value": "info"}])
    );
    assert_eq!(web["secrets"].as_array().unwrap().len(), 2);
}

#[test]
fn logs_roles_and_family_are_set() {
    let changes = Changes {
        family: Some("api-v2".into()),
        logs: Some(AwsLogs {
            group: "/ecs/new".into(),
            region: "eu-west-1".into(),
            stream_prefix: None,
        }),
        execution_role_arn: Some("arn:aws:iam::123456789012:role/exec2".into()),
        task_role_arn: Some("arn:aws:iam::123456789012:role/task2".into()),
        ..web_changes()
    };
    let rendered = render(&all_fields(), &changes).unwrap();
    assert_eq!(rendered["family"], "api-v2");
    assert_eq!(
        rendered["executionRoleArn"],
        "arn:aws:iam::123456789012:role/exec2"
    );
    assert_eq!(
        rendered["taskRoleArn"],
        "arn:aws:iam::123456789012:role/task2"
    );
    let logs = &rendered["containerDefinitions"][0]["logConfiguration"];
    assert_eq!(
        logs["options"],
        json!({"awslogs-group": "/ecs/new", "awslogs-region": "eu-west-1", "awslogs-stream-prefix": "web", "awslogs-create-group": "true"}),
        "existing prefix and options kept"
    );
    assert_eq!(
        logs["secretOptions"],
        all_fields()["taskDefinition"]["containerDefinitions"][0]["logConfiguration"]["secretOptions"]
    );
}

#[test]
fn awslogs_replaces_another_driver_with_a_default_prefix() {
    let base = json!({"family": "f", "containerDefinitions": [{"name": "c", "image": "x:1", "logConfiguration": {"logDriver": "json-file"}}]});
    let changes = Changes {
        containers: vec!["c".into()],
        image: "x:2".into(),
        logs: Some(AwsLogs {
            group: "/g".into(),
            region: "us-east-1".into(),
            stream_prefix: None,
        }),
        ..Changes::default()
    };
    let rendered = render(&base, &changes).unwrap();
    assert_eq!(
        rendered["containerDefinitions"][0]["logConfiguration"],
        json!({"logDriver": "awslogs", "options": {"awslogs-group": "/g", "awslogs-region": "us-east-1", "awslogs-stream-prefix": "ecs"}})
    );
}

#[test]
fn a_missing_container_is_an_error() {
    let changes = Changes {
        containers: vec!["nope".into()],
        ..web_changes()
    };
    assert_eq!(
        render(&all_fields(), &changes).unwrap_err(),
        "the task definition has no container `nope`"
    );
}

#[test]
fn normalised_form_ignores_order_defaults_and_empties() {
    let live = json!({"taskDefinition": {
        "family": "f", "revision": 3, "cpu": "256", "compatibilities": ["FARGATE"],
        "containerDefinitions": [{"name": "c", "image": "x:1", "cpu": 0, "essential": true, "volumesFrom": [], "mountPoints": [],
            "portMappings": [{"containerPort": 80, "hostPort": 80, "protocol": "tcp"}],
            "environment": [{"name": "B", "value": "2"}, {"name": "A", "value": "1"}]}],
        "placementConstraints": [], "volumes": []}});
    let template = json!({"family": "f", "cpu": 256,
        "containerDefinitions": [{"name": "c", "image": "x:1", "portMappings": [{"containerPort": 80, "hostPort": 80}],
            "environment": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]}]});
    assert_eq!(normalized(&live), normalized(&template));
    let changed = json!({"family": "f", "cpu": 256, "containerDefinitions": [{"name": "c", "image": "x:2", "portMappings": [{"containerPort": 80, "hostPort": 80}],
        "environment": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]}]});
    assert_ne!(normalized(&live), normalized(&changed));
}

#[test]
fn redaction_hides_every_environment_value_and_keeps_names() {
    let shown = redacted(&registrable(&all_fields()));
    let text = shown.to_string();
    assert!(!text.contains("\"info\"") && !text.contains("mesh/m/virtualNode"));
    assert_eq!(
        shown["containerDefinitions"][0]["environment"][1],
        json!({"name": "LOG_LEVEL", "value": "***"})
    );
}

#[test]
fn own_tags_are_set_read_and_ignored_when_comparing() {
    let mut td = registrable(&all_fields());
    let before = normalized(&td);
    set_tag(
        &mut td,
        "ecs-ship:previous-task-definition",
        "arn:aws:ecs:us-east-1:123456789012:task-definition/api:7",
    );
    set_tag(
        &mut td,
        "ecs-ship:previous-task-definition",
        "arn:aws:ecs:us-east-1:123456789012:task-definition/api:8",
    );
    assert_eq!(
        tag(&td, "ecs-ship:previous-task-definition"),
        Some("arn:aws:ecs:us-east-1:123456789012:task-definition/api:8")
    );
    assert_eq!(
        td["tags"].as_array().unwrap().len(),
        3,
        "replaced, not added twice"
    );
    assert_eq!(normalized(&td), before);
    assert_eq!(
        tag(&all_fields(), "team"),
        Some("core"),
        "reads describe responses too"
    );
}

/// The whole rendered body, pinned: every field of the live definition kept, only the asked-for
/// changes made (image, variables, secrets, logs and roles of `web`), read-only fields dropped,
/// tags lifted. A change to rendering shows here as a reviewed snapshot diff.
#[test]
fn the_rendered_task_definition_is_pinned_field_for_field() {
    let changes = Changes {
        family: Some("api-next".into()),
        environment: vec![
            ("LOG_LEVEL".into(), "debug".into()),
            ("EMPTY".into(), String::new()),
        ],
        secrets: vec![(
            "DB_PASSWORD".into(),
            "arn:aws:ssm:us-east-1:123456789012:parameter/api/db-password".into(),
        )],
        logs: Some(AwsLogs {
            group: "/ecs/api-next".into(),
            region: "us-east-1".into(),
            stream_prefix: Some("web".into()),
        }),
        execution_role_arn: Some("arn:aws:iam::123456789012:role/exec".into()),
        task_role_arn: Some("arn:aws:iam::123456789012:role/task".into()),
        ..web_changes()
    };
    let rendered = render(&all_fields(), &changes).unwrap();
    insta::assert_json_snapshot!(rendered);
}

fn env_of(td: &Value, list: &str) -> Vec<(String, String)> {
    td["containerDefinitions"][0][list]
        .as_array()
        .map(|entries| {
            entries
                .iter()
                .map(|e| {
                    (
                        e["name"].as_str().unwrap().to_string(),
                        e["value"]
                            .as_str()
                            .or_else(|| e["valueFrom"].as_str())
                            .unwrap()
                            .to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn replace_leaves_exactly_the_given_variables_and_removals_take_names_out() {
    let base = json!({
        "family": "api",
        "containerDefinitions": [{
            "name": "web",
            "image": "old",
            "environment": [{"name": "KEEP", "value": "1"}, {"name": "OLD", "value": "2"}],
            "secrets": [{"name": "TOKEN", "valueFrom": "arn:aws:ssm:us-east-1:1:parameter/t"},
                        {"name": "GONE", "valueFrom": "arn:aws:ssm:us-east-1:1:parameter/g"}],
        }],
    });
    let replaced = render(
        &base,
        &Changes {
            environment: vec![("NEW".into(), "3".into()), ("EMPTY".into(), String::new())],
            replace_environment: true,
            remove_secrets: vec!["GONE".into()],
            ..web_changes()
        },
    )
    .unwrap();
    assert_eq!(
        env_of(&replaced, "environment"),
        [("NEW".into(), "3".into()), ("EMPTY".into(), String::new())],
        "exactly the given variables, an empty value kept as empty"
    );
    assert_eq!(
        env_of(&replaced, "secrets"),
        [("TOKEN".into(), "arn:aws:ssm:us-east-1:1:parameter/t".into())],
        "secrets merge either way; a removed one is gone"
    );
    let merged = render(
        &base,
        &Changes {
            environment: vec![("NEW".into(), "3".into())],
            remove_environment: vec!["OLD".into(), "NOT_THERE".into()],
            ..web_changes()
        },
    )
    .unwrap();
    assert_eq!(
        env_of(&merged, "environment"),
        [("KEEP".into(), "1".into()), ("NEW".into(), "3".into())]
    );
}

#[test]
fn fargate_sizes_are_the_documented_combinations() {
    for (cpu, memory) in [
        (256, 512),
        (256, 2048),
        (512, 4096),
        (1024, 2048),
        (4096, 30720),
        (8192, 61440),
        (16384, 122_880),
    ] {
        assert_eq!(fargate_size(cpu, memory), Ok(()), "{cpu}/{memory}");
    }
    assert_eq!(
        fargate_size(1024, 1024),
        Err("with CPU 1024, Fargate's memory is 2048 to 8192 in steps of 1024".into())
    );
    assert_eq!(
        fargate_size(256, 1536),
        Err("with CPU 256, Fargate's memory is 512, 1024 or 2048".into())
    );
    assert!(
        fargate_size(8192, 18432).is_err(),
        "steps of 4096 from 16384"
    );
    assert_eq!(fargate_size(8192, 20480), Ok(()));
    assert!(
        fargate_size(768, 2048)
            .unwrap_err()
            .starts_with("Fargate's CPU values are 256, 512")
    );
    let rendered = render(
        &json!({"family": "api", "cpu": "256", "memory": "512", "containerDefinitions": [{"name": "web"}]}),
        &Changes { cpu: Some(1024), memory: Some(4096), ..web_changes() },
    )
    .unwrap();
    assert_eq!(
        (rendered["cpu"].clone(), rendered["memory"].clone()),
        (json!("1024"), json!("4096"))
    );
}

#[test]
fn environment_files_are_added_once_or_replaced() {
    let base = json!({"family": "api", "containerDefinitions": [{
        "name": "web",
        "environmentFiles": [{"value": "arn:aws:s3:::infra/base.env", "type": "s3"}],
    }]});
    let files = |td: &Value| -> Vec<String> {
        td["containerDefinitions"][0]["environmentFiles"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["value"].as_str().unwrap().to_string())
            .collect()
    };
    let added = render(
        &base,
        &Changes {
            environment_files: vec![
                "arn:aws:s3:::infra/base.env".into(),
                "arn:aws:s3:::app/prod.env".into(),
            ],
            ..web_changes()
        },
    )
    .unwrap();
    assert_eq!(
        files(&added),
        ["arn:aws:s3:::infra/base.env", "arn:aws:s3:::app/prod.env"]
    );
    let replaced = render(
        &base,
        &Changes {
            environment_files: vec!["arn:aws:s3:::app/prod.env".into()],
            replace_environment: true,
            ..web_changes()
        },
    )
    .unwrap();
    assert_eq!(files(&replaced), ["arn:aws:s3:::app/prod.env"]);
    assert_eq!(
        render(&base, &web_changes()).unwrap()["containerDefinitions"][0]["environmentFiles"],
        base["containerDefinitions"][0]["environmentFiles"],
        "untouched when not asked"
    );
}

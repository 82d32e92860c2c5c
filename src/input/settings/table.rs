//! The settings, the outputs and the old names, as data.

use super::{
    CLI_ONLY, EVERYWHERE, FILE_ONLY, Field, For, Group, Output, PER_RUN, REPOSITORY, Renamed,
    Setting, Shape,
};

const fn setting(
    name: &'static str,
    group: Group,
    kind: Shape,
    value_name: &'static str,
    help: &'static str,
) -> Setting {
    Setting {
        name,
        group,
        kind,
        places: EVERYWHERE,
        commands: For::Deploy,
        default: None,
        value_name,
        help,
    }
}

impl Setting {
    const fn places(mut self, places: super::Places) -> Self {
        self.places = places;
        self
    }
    const fn commands(mut self, commands: For) -> Self {
        self.commands = commands;
        self
    }
    const fn default(mut self, default: &'static str) -> Self {
        self.default = Some(default);
        self
    }
}

const fn field(name: &'static str, kind: Shape, help: &'static str) -> Field {
    Field { name, kind, help }
}

use Group::{GitHub, Image, Repository, Run, Service, Target, TaskDefinition, Waiting};
use Shape::{Bool, Command, List, Map, Mapping, Text, Yaml};

/// The fields of `deployment`: ECS's deployment configuration, set in the same update.
const DEPLOYMENT: &[Field] = &[
    field(
        "strategy",
        Text,
        "`rolling`, `blue-green`, `linear` or `canary`",
    ),
    field(
        "bake-time-minutes",
        Text,
        "how long ECS bakes a new revision (both revisions running, alarms watched) before the deployment is successful, 0-1440",
    ),
    field(
        "canary-percent",
        Text,
        "the share of production traffic the canary step shifts, 0.1-100",
    ),
    field(
        "canary-bake-minutes",
        Text,
        "how long ECS bakes the canary step before shifting the rest, 0-1440",
    ),
    field(
        "linear-step-percent",
        Text,
        "the share of production traffic each linear step shifts, 3-100",
    ),
    field(
        "linear-step-bake-minutes",
        Text,
        "how long ECS bakes between linear steps, 0-1440",
    ),
    field(
        "alarms",
        List,
        "CloudWatch alarm names that fail the deployment and roll it back; `none` turns alarm-based rollback off",
    ),
    field(
        "circuit-breaker",
        Bool,
        "the deployment circuit breaker: `true` (with rollback) or `false`",
    ),
    field("maximum-percent", Text, "the service's `maximumPercent`"),
    field(
        "minimum-healthy-percent",
        Text,
        "the service's `minimumHealthyPercent`",
    ),
];

/// The fields of `service-settings`: the service's own settings, set in the same update.
const SERVICE_SETTINGS: &[Field] = &[
    field("desired-count", Text, "the number of tasks"),
    field(
        "health-check-grace-period",
        Text,
        "seconds the load balancer health check waits on a new task",
    ),
    field(
        "propagate-tags",
        Text,
        "which tags ECS copies onto tasks: `TASK_DEFINITION`, `SERVICE` or `NONE`",
    ),
    field("ecs-managed-tags", Bool, "ECS managed tags on the tasks"),
    field(
        "execute-command",
        Bool,
        "ECS Exec (the task role needs the SSM messages permissions)",
    ),
];

/// The fields of `task-settings`: task-level fields of the new revision.
const TASK_SETTINGS: &[Field] = &[
    field(
        "cpu",
        Text,
        "CPU units (`1024` is one vCPU); a Fargate task must come out a Fargate size with the memory",
    ),
    field("memory", Text, "memory in MiB"),
    field(
        "execution-role-arn",
        Text,
        "the task execution role (default: SSM `execution-role-arn`)",
    ),
    field(
        "task-role-arn",
        Text,
        "the task role (default: SSM `task-role-arn`)",
    ),
];

/// The fields of `awslogs`: an awslogs log configuration for the target containers.
const AWSLOGS: &[Field] = &[
    field("group", Text, "the CloudWatch log group"),
    field("region", Text, "its region (default: the deploy's)"),
    field(
        "stream-prefix",
        Text,
        "the stream prefix (default: the current one, else `ecs`)",
    ),
];

/// Every setting, in the order documented.
pub static SETTINGS: &[Setting] = &[
    // What to run.
    setting(
        "command",
        Run,
        Text,
        "COMMAND",
        "`deploy`; `verify`: everything a deploy does up to its first write (render, the task-definition diff, the preflight), say every problem found, change nothing; `rollback`: put the service back on the revision the current one replaced (or on `revision`) and wait, or with `service-deployment-arn` roll that deployment back; `continue`: move a deployment paused at a PAUSE lifecycle hook on and wait; `run-task`: run `one-off-task` alone (rendered, checked and registered as a deploy would, no service updated) and wait until it stops: its essential containers' exit codes are the result. On the command line, the subcommand.",
    )
    .places(PER_RUN)
    .commands(For::All)
    .default("deploy"),
    setting(
        "environment",
        Run,
        Text,
        "NAME",
        "The target environment (dev, staging, production, ...). Required.",
    )
    .places(PER_RUN)
    .commands(For::All),
    setting(
        "config",
        Run,
        Text,
        "PATH",
        "A YAML file in the workspace describing each environment (e.g. `.github/ecs-ship.yml`): any setting the file may hold, by environment, with `defaults`. A setting the step gives wins over the file.",
    )
    .places(PER_RUN)
    .commands(For::All),
    setting(
        "confirm-production",
        Run,
        Text,
        "TEXT",
        "Must be exactly `DEPLOY TO PRODUCTION` to act on a production environment, or on a cluster or service tagged as one.",
    )
    .places(PER_RUN)
    .commands(For::All),
    setting(
        "preflight",
        Run,
        Bool,
        "BOOL",
        "Before any write, check what the new task definitions need: secrets and parameters exist (never read), roles exist and trust ECS tasks, awslogs log groups exist, images are in ECR, and (where IAM's policy simulator may be called) the execution role may use them. A problem stops the deploy; what cannot be checked is a warning. `verify` always runs it.",
    )
    .default("true"),
    // Where.
    setting(
        "cluster",
        Target,
        Text,
        "NAME",
        "The ECS cluster, by name or ARN. Default: SSM `cluster-name` under `ssm-prefix`.",
    )
    .commands(For::All),
    setting(
        "services",
        Target,
        Yaml,
        "LIST",
        "The ECS service: a name or ARN; or several to deploy the same image to, a YAML list of names or of mappings with `service`, `container`, `family`, `environment-variables`, `secrets`. Default: SSM `service-name` under `ssm-prefix`.",
    )
    .commands(For::All),
    setting(
        "ssm-prefix",
        Target,
        Text,
        "PREFIX",
        "An SSM Parameter Store prefix holding the names (`cluster-name`, `service-name`, `container-name`, `repository-uri`, `task-definition-family`, roles), e.g. `/app/{environment}/ecs` (`{environment}` is replaced). Settings given win over its values; after a deploy, the record is written there.",
    )
    .commands(For::All),
    setting(
        "container",
        Target,
        List,
        "NAMES",
        "The container(s) to update. Default: SSM `container-name`, else every container whose image is in the target repository.",
    ),
    setting(
        "family",
        Target,
        Text,
        "FAMILY",
        "The task-definition family to register into. Default: SSM `task-definition-family`, else the family of the service's current task definition.",
    ),
    // What.
    setting(
        "image-tag",
        Image,
        Text,
        "TAG",
        "The image tag to deploy from the ECR repository. Give this or `image`.",
    ),
    setting(
        "image",
        Image,
        Text,
        "REF",
        "A full image reference (`repo:tag` or `repo@sha256:...`) instead of `image-tag`.",
    ),
    setting(
        "repository",
        Image,
        Text,
        "NAME|URI",
        "The ECR repository, by name or URI. Default: SSM `repository-uri`, else the repository of the target container's current image.",
    ),
    setting(
        "container-images",
        Image,
        Map,
        "MAP",
        "Other containers' images in the same revision: container name to a tag in the deploy's repository (`v2`), an ECR repository of the account with a tag or digest (`log-router:v3`), or a full reference. Each is checked in ECR and pinned by digest like the deploy's image.",
    ),
    setting(
        "revision",
        Image,
        Text,
        "ARN",
        "An existing task-definition revision (ARN or `family:revision`): `deploy` puts it on the service exactly as it is (no render, no registration; it must be ACTIVE and its ECR images must exist): promote what passed in staging. `rollback` goes back to it.",
    )
    .commands(For::DeployAndRollback),
    setting(
        "allow-family-change",
        Image,
        Bool,
        "BOOL",
        "Allow `revision` to be of another family than the service runs (refused otherwise, so a production revision cannot land on a dev service by a slip).",
    )
    .commands(For::DeployAndRollback)
    .default("false"),
    // The task definition.
    setting(
        "template",
        TaskDefinition,
        Text,
        "PATH",
        "A task-definition file in the workspace (JSON or YAML, AWS field names) to render from. Default: the service's live task definition.",
    ),
    setting(
        "environment-variables",
        TaskDefinition,
        Map,
        "MAP",
        "Environment variables to set, NAME to value, as a JSON object or YAML mapping; a null value (`NAME: ~`) takes the variable out. Values are never printed.",
    ),
    setting(
        "secrets",
        TaskDefinition,
        Map,
        "MAP",
        "Secrets to set, NAME to Secrets Manager or SSM parameter ARN; a null value takes the secret out.",
    ),
    setting(
        "dotenv-file",
        TaskDefinition,
        Text,
        "PATH",
        "A dotenv file in the workspace (`KEY=value` lines, `#` comments, quotes, `export `; nothing expanded) whose variables are set like `environment-variables`, which win over it.",
    ),
    setting(
        "environment-mode",
        TaskDefinition,
        Text,
        "MODE",
        "How `environment-variables` (and `environment-files`) meet the containers' own: `merge` (set them, keep the others) or `replace` (the containers end with exactly the ones given; secrets merge either way).",
    )
    .default("merge"),
    setting(
        "environment-files",
        TaskDefinition,
        List,
        "ARNS",
        "S3 object ARNs of `.env` files for the target containers (ECS's `environmentFiles`, read by the execution role).",
    ),
    setting(
        "container-command",
        TaskDefinition,
        Command,
        "COMMAND",
        "The command the target containers run instead of the image's: a list (`[npm, start]`), or a string split as a shell would, without a shell (`npm run start -- --port 8080`).",
    ),
    setting(
        "docker-labels",
        TaskDefinition,
        Map,
        "MAP",
        "Docker labels for the target containers, merged by name.",
    ),
    setting(
        "task-settings",
        TaskDefinition,
        Mapping(TASK_SETTINGS),
        "MAPPING",
        "Task-level fields of the new revision, a YAML mapping (unchanged where not given):",
    ),
    setting(
        "awslogs",
        TaskDefinition,
        Mapping(AWSLOGS),
        "MAPPING",
        "An awslogs log configuration for the target containers, a YAML mapping:",
    ),
    // The service.
    setting(
        "one-off-task",
        Service,
        Yaml,
        "TASK",
        "A one-off task: with `command: deploy`, run before any service is updated (migrations), the services updated only when its essential containers exit 0; with `command: run-task`, what runs. A task-definition family, or a YAML mapping of `family`, `container`, `command` (a list, or split as a shell would), `subnets`, `security-groups`, `assign-public-ip`, `time-limit-minutes`. It gets the deploy's image, env and secrets, and the service's network unless given.",
    ),
    setting(
        "force-new-deployment",
        Service,
        Bool,
        "BOOL",
        "Start a new deployment even when the task definition did not change.",
    )
    .default("false"),
    setting(
        "deployment",
        Service,
        Mapping(DEPLOYMENT),
        "MAPPING",
        "The service's deployment configuration, set in the same update, a YAML mapping (unchanged where not given):",
    ),
    setting(
        "service-settings",
        Service,
        Mapping(SERVICE_SETTINGS),
        "MAPPING",
        "The service's own settings, set in the same update, a YAML mapping (unchanged where not given; tags and ECS Exec apply to tasks started after it):",
    ),
    // Waiting.
    setting(
        "wait",
        Waiting,
        Text,
        "UNTIL",
        "`deployed`: wait until ECS's service deployment is SUCCESSFUL (bake time over) and fail the step when it fails; `paused`: end the step successfully when the deployment waits at a PAUSE lifecycle hook (outputs `service-deployment-arn`, `hook-id`; `command: continue` moves it on); `none`: start the deployment and end.",
    )
    .commands(For::All)
    .default("deployed"),
    setting(
        "time-limit-minutes",
        Waiting,
        Text,
        "MINUTES",
        "How long the run may take (decimals allowed: `0.5` is 30 seconds), from its start to its verdict, a pre-deploy task's own time aside. Every read, retry and wait stops there; a rollback after a failure gets as long again.",
    )
    .commands(For::All)
    .default("15"),
    setting(
        "on-failure",
        Waiting,
        Text,
        "WHAT",
        "When the rollout fails and ECS has not rolled back already: `rollback` (put the service back on the exact revision it ran before, and wait for that too) or `leave`.",
    )
    .default("rollback"),
    setting(
        "on-cancel",
        Waiting,
        Text,
        "WHAT",
        "What a cancelled job (SIGTERM, SIGINT) does to the rollouts it started and has no verdict on yet: `leave` them to ECS, or `rollback` them (within 4 s) before exiting. For `run-task`: `leave` lets the task run, `rollback` stops it (`StopTask`).",
    )
    .default("leave"),
    setting(
        "service-deployment-arn",
        Waiting,
        Text,
        "ARN",
        "`rollback` and `continue`: the service deployment to act on (a deploy's `service-deployment-arn` output). `rollback` rolls it back at its PAUSE hook, or stops it in progress with a rollback.",
    )
    .places(PER_RUN)
    .commands(For::Paused),
    setting(
        "hook-id",
        Waiting,
        Text,
        "ID",
        "`rollback` and `continue`: the PAUSE hook expected to be awaiting action (a deploy's `hook-id` output); refused when the deployment waits at another one.",
    )
    .places(PER_RUN)
    .commands(For::Paused),
    // GitHub.
    setting(
        "github-deployment",
        GitHub,
        Text,
        "WHAT",
        "`true`: create a GitHub deployment for the commit in `environment` and post its statuses (off by default: a job with `environment:` already creates one); a number: post statuses to that existing deployment. Needs `deployments: write`.",
    )
    .default("false"),
    setting(
        "github-token",
        GitHub,
        Text,
        "TOKEN",
        "The token for the GitHub API. Default: the job's token; on the command line, `GITHUB_TOKEN`.",
    )
    .places(PER_RUN)
    .default("${{ github.token }}"),
    setting(
        "environment-url",
        GitHub,
        Text,
        "URL",
        "The URL the GitHub deployment links to (the environment's site).",
    ),
    // Set once per repository.
    setting(
        "region",
        Repository,
        Text,
        "REGION",
        "The AWS region. Default: `AWS_REGION`, `AWS_DEFAULT_REGION` or the AWS profile.",
    )
    .places(REPOSITORY)
    .commands(For::All),
    setting(
        "production-environments",
        Repository,
        List,
        "NAMES",
        "Environments that need `confirm-production` (case-insensitive), besides those the file marks `production: true`.",
    )
    .places(REPOSITORY)
    .commands(For::All)
    .default("production"),
    setting(
        "production",
        Repository,
        Bool,
        "BOOL",
        "In an environment of the file: it is a production one (needs `confirm-production`). Can only add the gate, never take it away.",
    )
    .places(FILE_ONLY)
    .commands(For::All),
    setting(
        "environment-tag-keys",
        Repository,
        List,
        "KEYS",
        "Tag keys that name a cluster's or service's environment: a target tagged with a production environment needs `confirm-production` whatever `environment` says.",
    )
    .places(REPOSITORY)
    .commands(For::All)
    .default("environment, env, stage"),
    setting(
        "pin-image-digest",
        Repository,
        Bool,
        "BOOL",
        "Pin the image by digest (`repo@sha256:...`) in the task definition.",
    )
    .places(REPOSITORY)
    .default("true"),
    setting(
        "fallback-image",
        Repository,
        Text,
        "REF",
        "An image to deploy instead when the ECR repository has no images at all (bootstrapping a new environment); never used otherwise, and said loudly in the summary.",
    )
    .places(REPOSITORY),
    setting(
        "max-task-failures",
        Repository,
        Text,
        "COUNT",
        "Fail the rollout once this many tasks of the new deployment have stopped with a failure (even without a circuit breaker); 0 turns the check off.",
    )
    .places(REPOSITORY)
    .commands(For::All)
    .default("3"),
    setting(
        "task-log-lines",
        Repository,
        Text,
        "LINES",
        "When tasks fail, show this many last lines of each failed essential container's awslogs stream (at most 3 tasks, at most 200 lines), environment values and secret references masked; 0 turns it off.",
    )
    .places(REPOSITORY)
    .commands(For::All)
    .default("30"),
    setting(
        "record-deployment",
        Repository,
        Bool,
        "BOOL",
        "After a verified success, write the deployment record under `ssm-prefix`: `current-image-tag` and a JSON `deployment` (image, digest, task definitions, git SHA, run URL, time).",
    )
    .places(REPOSITORY)
    .default("true"),
    setting(
        "revision-tags",
        Repository,
        Bool,
        "BOOL",
        "Tag new revisions with the image tag and the revision they replace (needs `ecs:TagResource`); `rollback` reads the latter.",
    )
    .places(REPOSITORY)
    .default("true"),
    setting(
        "keep-revisions",
        Repository,
        Text,
        "N",
        "After a verified success, deregister revisions of each deployed family beyond the newest N (never one a service, running task or scheduled job uses, nor the rollback target; at most 20 a run; nothing when what is in use cannot be read in full). Default: keep all.",
    )
    .places(REPOSITORY),
    setting(
        "schedules",
        Repository,
        Text,
        "WHICH",
        "After a verified success, move scheduled jobs to the new revision: `follow` moves every EventBridge rule (default bus) and EventBridge Scheduler schedule whose ECS target in the cluster runs exactly the revision a changed service ran before; a list of names (`rule`, `group/schedule`) moves only those. Every other field of a target is kept; one on another revision is left alone. Default: none.",
    )
    .places(REPOSITORY),
    setting(
        "promote-tag",
        Repository,
        Text,
        "TAG",
        "After a verified success, add this tag to the deployed image in ECR (the same manifest), e.g. `{environment}-latest` (`{environment}` is replaced).",
    )
    .places(REPOSITORY),
    setting(
        "workspace",
        Repository,
        Text,
        "DIR",
        "The directory `config`, `template` and `dotenv-file` must be inside (after following symlinks). Default: the current directory; in Actions, `GITHUB_WORKSPACE`.",
    )
    .places(CLI_ONLY)
    .commands(For::All),
];

/// The action's outputs.
pub static OUTPUTS: &[Output] = &[
    Output {
        name: "status",
        help: "`deployed`, `paused` (at a PAUSE lifecycle hook, `wait: paused`), `started` (`wait: none`), `unchanged`, `verified` (`command: verify` found nothing that would stop the deploy), `completed` (`command: run-task`: the task exited 0), `rolled-back`, `cancelled` or `failed`.",
    },
    Output {
        name: "changed",
        help: "`true` when the revision the deploy renders (or, with `revision`, deploys as it is) differs from what a service runs: the deploy moves (with `verify`, would move) that service to another revision, newly registered or existing; `false` when every service already runs it. Whether the service ended there is `status`.",
    },
    Output {
        name: "task-definition-arn",
        help: "The revision the (first) service now runs: the new one, or the live one when unchanged. Empty with `verify`.",
    },
    Output {
        name: "previous-task-definition-arn",
        help: "The revision the (first) service ran before the deploy.",
    },
    Output {
        name: "image",
        help: "The image reference written into the task definition (pinned by digest unless `pin-image-digest: false`).",
    },
    Output {
        name: "image-digest",
        help: "The image's digest in ECR.",
    },
    Output {
        name: "rollback-task-definition-arn",
        help: "The revision the (first) service was put back on after a failure (or by `rollback`).",
    },
    Output {
        name: "failure-reason",
        help: "Why the run failed, in one line; empty on success.",
    },
    Output {
        name: "services",
        help: "JSON list, one object per service: `service`, `status` (as `status`, or `not-updated` when an earlier step such as the pre-deploy task failed), `changed`, `task-definition-arn`, `previous-task-definition-arn`, `rollback-task-definition-arn`, `failure-reason`, `service-deployment-arn`, `schedules` (the scheduled jobs moved to its new revision: `kind`, `name`, `from`, `to`; see `schedules`). With several services, the outputs marked (first) describe the first; this one describes each.",
    },
    Output {
        name: "service-deployment-arn",
        help: "ECS's service deployment of the (first) service's rollout, when it was read; `continue` and `rollback` take it.",
    },
    Output {
        name: "lifecycle-stage",
        help: "The (first) service deployment's lifecycle stage as last read (e.g. `POST_TEST_TRAFFIC_SHIFT` when paused there).",
    },
    Output {
        name: "hook-id",
        help: "The PAUSE lifecycle hook the (first) deployment waits at (empty when it does not wait at one).",
    },
    Output {
        name: "one-off-task-arn",
        help: "The ARN of the one-off task (`one-off-task`), when one ran.",
    },
    Output {
        name: "one-off-task-exit-code",
        help: "The exit code of the one-off task's container (empty when it did not run or never exited).",
    },
    Output {
        name: "preflight-findings",
        help: "JSON of what the preflight found: `checks` (how many), `problems` (each would stop the new tasks; the deploy stopped before any write), `warnings` (what could not be checked, or may fail), `notes` (left unchecked on purpose); empty when it did not run.",
    },
    Output {
        name: "github-deployment-id",
        help: "The GitHub deployment the run reported to (empty when off or not created).",
    },
    Output {
        name: "duration-seconds",
        help: "Wall time of the step, in whole seconds.",
    },
];

/// Names an earlier version took.
pub static RENAMED: &[Renamed] = &[
    Renamed {
        old: "service",
        instead: "`services` (one name or ARN, or a list)",
    },
    Renamed {
        old: "images",
        instead: "`container-images`",
    },
    Renamed {
        old: "task-definition-family",
        instead: "`family`",
    },
    Renamed {
        old: "task-definition",
        instead: "`template`",
    },
    Renamed {
        old: "task-definition-arn",
        instead: "`revision`",
    },
    Renamed {
        old: "to",
        instead: "`revision`",
    },
    Renamed {
        old: "environment-file",
        instead: "`dotenv-file`",
    },
    Renamed {
        old: "remove-environment-variables",
        instead: "a null value in `environment-variables` (`NAME: ~`)",
    },
    Renamed {
        old: "remove-secrets",
        instead: "a null value in `secrets` (`NAME: ~`)",
    },
    Renamed {
        old: "dry-run",
        instead: "`command: verify` (the CLI's `verify`): it renders, shows the diff and runs the preflight",
    },
    Renamed {
        old: "wait-until",
        instead: "`wait` (`deployed`, `paused` or `none`)",
    },
    Renamed {
        old: "timeout-minutes",
        instead: "`time-limit-minutes` (`timeout-minutes` is GitHub's own step key)",
    },
    Renamed {
        old: "rollback",
        instead: "`on-failure` (`rollback` or `leave`)",
    },
    Renamed {
        old: "github-deployment-id",
        instead: "`github-deployment` (`true`, `false` or the deployment's id)",
    },
    Renamed {
        old: "aws-region",
        instead: "`region` in the config file or on the command line, or `AWS_REGION`",
    },
    Renamed {
        old: "task-logs-lines",
        instead: "`task-log-lines` in the config file",
    },
    Renamed {
        old: "tag-revisions",
        instead: "`revision-tags` in the config file",
    },
    Renamed {
        old: "log-group",
        instead: "`awslogs` (`group: ...`)",
    },
    Renamed {
        old: "log-region",
        instead: "`awslogs` (`region: ...`)",
    },
    Renamed {
        old: "log-stream-prefix",
        instead: "`awslogs` (`stream-prefix: ...`)",
    },
    Renamed {
        old: "cpu",
        instead: "`task-settings` (`cpu: ...`)",
    },
    Renamed {
        old: "memory",
        instead: "`task-settings` (`memory: ...`)",
    },
    Renamed {
        old: "execution-role-arn",
        instead: "`task-settings` (`execution-role-arn: ...`)",
    },
    Renamed {
        old: "task-role-arn",
        instead: "`task-settings` (`task-role-arn: ...`)",
    },
    Renamed {
        old: "desired-count",
        instead: "`service-settings` (`desired-count: ...`)",
    },
    Renamed {
        old: "health-check-grace-period",
        instead: "`service-settings` (`health-check-grace-period: ...`)",
    },
    Renamed {
        old: "propagate-tags",
        instead: "`service-settings` (`propagate-tags: ...`)",
    },
    Renamed {
        old: "enable-ecs-managed-tags",
        instead: "`service-settings` (`ecs-managed-tags: ...`)",
    },
    Renamed {
        old: "enable-execute-command",
        instead: "`service-settings` (`execute-command: ...`)",
    },
    Renamed {
        old: "deployment-strategy",
        instead: "`deployment` (`strategy: ...`)",
    },
    Renamed {
        old: "bake-time-minutes",
        instead: "`deployment` (`bake-time-minutes: ...`)",
    },
    Renamed {
        old: "canary-percent",
        instead: "`deployment` (`canary-percent: ...`)",
    },
    Renamed {
        old: "canary-bake-minutes",
        instead: "`deployment` (`canary-bake-minutes: ...`)",
    },
    Renamed {
        old: "linear-step-percent",
        instead: "`deployment` (`linear-step-percent: ...`)",
    },
    Renamed {
        old: "linear-step-bake-minutes",
        instead: "`deployment` (`linear-step-bake-minutes: ...`)",
    },
    Renamed {
        old: "alarms",
        instead: "`deployment` (`alarms: ...`)",
    },
    Renamed {
        old: "circuit-breaker",
        instead: "`deployment` (`circuit-breaker: ...`)",
    },
    Renamed {
        old: "maximum-percent",
        instead: "`deployment` (`maximum-percent: ...`)",
    },
    Renamed {
        old: "minimum-healthy-percent",
        instead: "`deployment` (`minimum-healthy-percent: ...`)",
    },
];

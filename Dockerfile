# ecs-ship as a container action. Two stages: build the release binary, then copy it into a
# distroless image that has glibc and CA certificates (the AWS SDK verifies TLS with the system
# roots) and nothing else: no shell, no package manager.
#
# The runner needs the container to run as root to write its file-command files
# (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY), so there is deliberately no USER line.

FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock clippy.toml ./
COPY src ./src
RUN cargo build --release --locked && cp target/release/ecs-ship /ecs-ship

FROM gcr.io/distroless/cc-debian12
COPY --from=build /ecs-ship /usr/local/bin/ecs-ship
ENTRYPOINT ["/usr/local/bin/ecs-ship"]

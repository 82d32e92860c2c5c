fn main() {
    std::process::exit(ecs_ship::app::main());
}

//! The `lanready-agent` command line.

fn main() {
    println!("lanready-agent");
}

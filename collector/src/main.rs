//! The `lanready-collector` command line.

fn main() {
    println!("lanready-collector");
}

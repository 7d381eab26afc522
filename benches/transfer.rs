fn main() {
    eprintln!("transfer benchmark: being written");
}

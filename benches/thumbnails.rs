fn main() {
    eprintln!("thumbnail benchmark: being written");
}

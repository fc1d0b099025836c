# exit: 2
fn main() { print("hi") }
if __name__ == "__main__":
    main()

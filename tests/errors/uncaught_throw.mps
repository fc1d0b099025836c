# exit: 1
fn parse_age(s) {
    let n = int(s)
    if n < 0 { throw error("ValueError", "age cannot be negative: {n}") }
    return n
}
fn load(rows) {
    let ages = []
    for r in rows { ages.push(parse_age(r)) }
    return ages
}
print(load(["31", "-4"]))

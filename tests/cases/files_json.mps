# §9: files and JSON. The file is made, grown, read and removed again.
let path = "mps_test_files_json.tmp"
if file_exists(path) { remove_file(path) }
print(file_exists(path))
write_file(path, "one\n")
append_file(path, "two\n")
print(file_exists(path))
print(read_file(path).split("\n"))
write_file(path, 42)
print(read_file(path))
remove_file(path)
print(file_exists(path))
let data = {"name": "ann", "tags": ["a", "b"], "n": 3, "x": 2.5, "ok": true, "none": nil}
let text = json_str(data)
print(text)
print(json_parse(text) == data)
print(json_parse('[1, 2.0, "s", null, false, {"k": []}]'))
print(json_str([1, "two", [3]]), json_str("q\"uote"), json_str(nil))
print(json_str({"a": [1, 2]}, indent=2))

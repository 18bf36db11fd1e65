//! The one layer checker of the workspace, for a crate whose `src/lib.rs` doc lists its
//! modules in layers, lowest first, under a `# Layers` (or `## Layers`) heading:
//! `//! 4. readers: [`criterion`], [`meta`] — …` (an item may run on over indented lines; `crate`
//! in the list names the root). Every module of `src/` (but the binaries, `src/main.rs` and
//! `src/bin/`, the crate's users) imports only from its own layer and those below it; no
//! top-level modules import each other around a loop; and no files (or subfolders) of one folder
//! do, the folder's `mod.rs` aside (it declares them, and they may use what it defines).
//!
//! It reads the code, not the compiler's view of it: `crate::` and `super::` paths anywhere in a
//! file (a `use`, a grouped `use crate::{a, b::{c, d}}`, or a path in an expression or type),
//! with comments, strings and character literals blanked first. `super::` outside an inline
//! `mod` is the file's parent module; inside one (a file's `mod tests`) it stays in the file. A
//! path is the longest module it names (`crate::summary::table::Row` is `summary::table`); a
//! name re-exported by a `mod.rs` is that `mod.rs`'s, so a loop through a re-export is not seen.
//! Paths to the crate root (`crate::Result`, re-exported from `error`) are free to every layer.
//!
//! Two packages use it, each with its own test over its own `src/`: target-report's
//! `tests/layers.rs` (this file is its `check` module) and the suite's `tests/layers.rs`, which
//! includes this file by path (`#[path = "../target-report/tests/layers/check.rs"]`). By path,
//! because the packages share no test crate (neither's tests depend on the other's library) and
//! the workspace's top level is fixed, with no room for a crate of test support. A change here
//! is tested by both: `cargo test --test main layers::` and `cargo test -p target-report --test
//! main layers::`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A module's path below the crate root: `["summary", "table"]`; the root is `[]`.
type ModulePath = Vec<String>;

/// One import of a file: where it is, and the module it reaches.
#[derive(Clone, Debug)]
struct Import {
    file: String,
    line: usize,
    /// The importing file's own module.
    from: ModulePath,
    /// The longest module the path names.
    to: ModulePath,
}

/// Fails, naming each, on what breaks the layers of the crate whose sources are `src` (see
/// [`problems`]).
#[track_caller]
pub fn assert_kept(src: &Path) {
    let problems = problems(src);
    assert!(
        problems.is_empty(),
        "the layers of src/lib.rs's doc are broken:\n{}",
        problems.join("\n")
    );
}

/// What breaks the layers of the crate whose sources are `src`: modules the list leaves out or
/// names wrongly, imports from a higher layer, and loops (between top-level modules, and between
/// the entries of each folder); empty if none.
fn problems(src: &Path) -> Vec<String> {
    let layers = declared_layers(&std::fs::read_to_string(src.join("lib.rs")).unwrap());
    let files = module_files(src);
    let modules: BTreeSet<ModulePath> = files.iter().map(|(_, m)| m.clone()).collect();
    let mut problems = placement_problems(&layers, &modules);
    let imports: Vec<Import> = files
        .iter()
        .flat_map(|(path, module)| imports_of(src, path, module, &modules))
        .collect();
    problems.extend(upward(&imports, &layers));
    problems.extend(loops(&top_level_edges(&imports)));
    for folder in modules
        .iter()
        .filter(|m| is_folder(src, m) && !m.is_empty())
    {
        problems.extend(loops(&folder_edges(&imports, folder)));
    }
    problems
}

/// Each module's layer (number and name), from the numbered list under `# Layers` (of any
/// level) in the crate doc, up to the next heading: `//! 4. readers: [`criterion`], [`meta`] —
/// …`, an item running on over indented lines.
fn declared_layers(lib: &str) -> BTreeMap<String, (usize, String)> {
    let mut items: Vec<String> = Vec::new();
    let is_heading = |line: &str| {
        let text = line.trim_start_matches("//!").trim();
        text.starts_with('#') && text.trim_start_matches('#').trim() == "Layers"
    };
    let section = lib
        .lines()
        .skip_while(|line| !is_heading(line))
        .skip(1)
        .take_while(|line| line.starts_with("//!") && !line.starts_with("//! #"));
    for line in section {
        let text = line.trim_start_matches("//!");
        let starts_item = text
            .trim_start()
            .split_once(". ")
            .is_some_and(|(n, _)| n.parse::<usize>().is_ok());
        if starts_item {
            items.push(text.trim().to_owned());
        } else if let (Some(item), true) = (items.last_mut(), text.starts_with("   ")) {
            item.push(' ');
            item.push_str(text.trim());
        }
    }
    let mut layers = BTreeMap::new();
    for item in items {
        let (number, rest) = item.split_once(". ").unwrap();
        let (name, modules) = rest.split_once(':').expect("`N. name: modules — why`");
        let modules = modules.split(" — ").next().unwrap();
        for module in modules.split('`').skip(1).step_by(2) {
            let layer = (number.parse().unwrap(), name.to_owned());
            let previous = layers.insert(module.to_owned(), layer);
            assert!(previous.is_none(), "{module} is in two layers");
        }
    }
    assert!(!layers.is_empty(), "src/lib.rs declares no layers");
    layers
}

/// Every `.rs` file of the library under `src/` with its module path (`lib.rs` is the root);
/// the binaries, `src/main.rs` and `src/bin/`, are left out.
fn module_files(src: &Path) -> Vec<(PathBuf, ModulePath)> {
    let mut files = Vec::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path == src.join("main.rs") || path == src.join("bin") {
                continue;
            }
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                let relative = path.strip_prefix(src).unwrap().with_extension("");
                let mut module: ModulePath = relative
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                if module
                    .last()
                    .is_some_and(|last| last == "mod" || last == "lib")
                {
                    module.pop();
                }
                files.push((path, module));
            }
        }
    }
    files.sort();
    files
}

/// Whether a module is a folder (`<module>/mod.rs`, or the root).
fn is_folder(src: &Path, module: &ModulePath) -> bool {
    module.is_empty() || src.join(module.join("/")).join("mod.rs").is_file()
}

/// Top-level modules the list leaves out, and names in it that are no top-level module (but
/// `crate`, the root).
fn placement_problems(
    layers: &BTreeMap<String, (usize, String)>,
    modules: &BTreeSet<ModulePath>,
) -> Vec<String> {
    let top: BTreeSet<&str> = modules
        .iter()
        .filter(|m| m.len() == 1)
        .map(|m| m[0].as_str())
        .collect();
    let unplaced = top
        .iter()
        .filter(|module| !layers.contains_key(**module))
        .map(|module| format!("src/lib.rs: `{module}` is in no layer"));
    let unknown = layers
        .keys()
        .filter(|name| *name != "crate" && !top.contains(name.as_str()))
        .map(|name| format!("src/lib.rs: the layers name `{name}`, which is no module"));
    unplaced.chain(unknown).collect()
}

/// The imports of one file, each to the longest module its path names.
fn imports_of(
    src: &Path,
    file: &Path,
    module: &ModulePath,
    modules: &BTreeSet<ModulePath>,
) -> Vec<Import> {
    let code = blank_non_code(&std::fs::read_to_string(file).unwrap());
    crate_paths(&code, module)
        .into_iter()
        .map(|(line, path)| {
            let known = (0..=path.len())
                .rev()
                .find(|&n| modules.contains(&path[..n]))
                .unwrap_or(0);
            Import {
                file: format!("src/{}", file.strip_prefix(src).unwrap().display()),
                line,
                from: module.clone(),
                to: path[..known].to_vec(),
            }
        })
        .collect()
}

/// Imports from a higher layer than the importing module's.
fn upward(imports: &[Import], layers: &BTreeMap<String, (usize, String)>) -> Vec<String> {
    let mut problems = Vec::new();
    for import in imports {
        let (Some(from), Some(to)) = (import.from.first(), import.to.first()) else {
            continue;
        };
        let (Some(a), Some(b)) = (layers.get(from), layers.get(to)) else {
            continue;
        };
        if b.0 > a.0 {
            problems.push(format!(
                "{}:{}: `{from}` (layer {} {}) imports `{}` from the higher layer {} {}",
                import.file,
                import.line,
                a.0,
                a.1,
                import.to.join("::"),
                b.0,
                b.1
            ));
        }
    }
    problems
}

/// Imports between top-level modules (the root aside).
fn top_level_edges(imports: &[Import]) -> Vec<(String, String, &Import)> {
    imports
        .iter()
        .filter_map(|i| Some((i.from.first()?, i.to.first()?, i)))
        .filter(|(from, to, _)| from != to)
        .map(|(from, to, i)| (from.clone(), to.clone(), i))
        .collect()
}

/// Imports between the entries (files and subfolders) of `folder`, its `mod.rs` aside.
fn folder_edges<'a>(
    imports: &'a [Import],
    folder: &ModulePath,
) -> Vec<(String, String, &'a Import)> {
    let k = folder.len();
    imports
        .iter()
        .filter(|i| i.from.len() > k && i.from.starts_with(folder))
        .filter(|i| i.to.len() > k && i.to.starts_with(folder))
        .filter(|i| i.from[k] != i.to[k])
        .map(|i| {
            let at = |m: &ModulePath| format!("{}::{}", folder.join("::"), m[k]);
            (at(&i.from), at(&i.to), i)
        })
        .collect()
}

/// Every `crate::` path, and every `super::` path outside an inline `mod`, as the segments it
/// names from the crate root, with its line; `module` is the file's own module.
fn crate_paths(code: &str, module: &ModulePath) -> Vec<(usize, Vec<String>)> {
    let bytes = code.as_bytes();
    let mut found = Vec::new();
    let mut line = 1;
    // For each open brace, whether it opens an inline `mod name {`.
    let mut braces: Vec<bool> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => line += 1,
            b'{' => braces.push(opens_module(&code[..i])),
            b'}' => {
                braces.pop();
            }
            _ => {}
        }
        let starts_word = i == 0 || !is_ident(bytes[i - 1]) && bytes[i - 1] != b'$';
        let rest = &code[i..];
        let in_inline_mod = braces.iter().any(|&m| m);
        let resolved = if !starts_word {
            None
        } else if let Some(after) = rest.strip_prefix("crate::") {
            Some((Vec::new(), after))
        } else if rest.starts_with("super::") && !in_inline_mod {
            let mut base = module.clone();
            let mut after = rest;
            while let Some(next) = after.strip_prefix("super::") {
                base.pop();
                after = next;
            }
            Some((base, after))
        } else {
            None
        };
        if let Some((base, after)) = resolved {
            for path in use_tree(after) {
                found.push((line, base.iter().cloned().chain(path).collect()));
            }
        }
        i += 1;
    }
    found
}

/// Whether the code before a `{` ends in `mod name`.
fn opens_module(before: &str) -> bool {
    let mut words = before.split_whitespace().rev();
    let name = words.next().unwrap_or("");
    !name.is_empty() && name.bytes().all(is_ident) && words.next() == Some("mod")
}

/// The paths of a use tree, segment by segment: `a::b` → `[[a, b]]`; `{a, b::{c, d}}` →
/// `[[a], [b, c], [b, d]]`. `self` names its parent; `*` ends a path.
fn use_tree(text: &str) -> Vec<Vec<String>> {
    let mut prefix: Vec<String> = Vec::new();
    let mut rest = text;
    loop {
        rest = rest.trim_start();
        if let Some(group) = rest.strip_prefix('{') {
            let mut paths = Vec::new();
            for part in split_group(group) {
                for mut path in use_tree(part) {
                    path.retain(|s| s != "self");
                    paths.push(prefix.iter().cloned().chain(path).collect());
                }
            }
            return paths;
        }
        let ident: String = rest
            .bytes()
            .take_while(|&b| is_ident(b))
            .map(char::from)
            .collect();
        if ident.is_empty() {
            return vec![prefix];
        }
        rest = &rest[ident.len()..];
        prefix.push(ident);
        match rest.trim_start().strip_prefix("::") {
            Some(next) => rest = next,
            None => return vec![prefix],
        }
    }
}

/// The comma-separated parts of a group whose `{` is already consumed, up to its `}`.
fn split_group(group: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0usize, 0);
    for (index, byte) in group.bytes().enumerate() {
        match byte {
            b'{' => depth += 1,
            b'}' if depth == 0 => {
                parts.push(&group[start..index]);
                break;
            }
            b'}' => depth -= 1,
            b',' if depth == 0 => {
                parts.push(&group[start..index]);
                start = index + 1;
            }
            _ => {}
        }
    }
    parts.retain(|part| !part.trim().is_empty());
    parts
}

fn is_ident(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_'
}

/// `code` with comments, strings and character literals replaced by spaces (newlines kept, so
/// that line numbers stay right).
fn blank_non_code(code: &str) -> String {
    let chars: Vec<char> = code.chars().collect();
    let mut out = String::with_capacity(code.len());
    let blank = |out: &mut String, c: char| out.push(if c == '\n' { '\n' } else { ' ' });
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                blank(&mut out, chars[i]);
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            loop {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    blank(&mut out, chars[i]);
                    i += 1;
                }
            }
        } else if c == 'r' && matches!(next, Some('"') | Some('#')) && raw_string_at(&chars, i) {
            i = blank_raw_string(&chars, i, &mut out);
        } else if c == '"' {
            out.push(' ');
            i += 1;
            while chars[i] != '"' {
                let skip = if chars[i] == '\\' { 2 } else { 1 };
                for _ in 0..skip {
                    blank(&mut out, chars[i]);
                    i += 1;
                }
            }
            out.push(' ');
            i += 1;
        } else if c == '\'' && is_char_literal(&chars, i) {
            out.push(' ');
            i += 1;
            while chars[i] != '\'' {
                let skip = if chars[i] == '\\' { 2 } else { 1 };
                for _ in 0..skip {
                    out.push(' ');
                    i += 1;
                }
            }
            out.push(' ');
            i += 1;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// Whether `r` at `i` opens a raw string (`r"`, `r#"`, …) rather than ending a name.
fn raw_string_at(chars: &[char], i: usize) -> bool {
    let after_name = i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_');
    let hashes = chars[i + 1..].iter().take_while(|&&c| c == '#').count();
    !after_name && chars.get(i + 1 + hashes) == Some(&'"')
}

/// Blanks the raw string that opens at `i`; returns the index after it.
fn blank_raw_string(chars: &[char], mut i: usize, out: &mut String) -> usize {
    let hashes = chars[i + 1..].iter().take_while(|&&c| c == '#').count();
    let opening = 2 + hashes;
    out.push_str(&" ".repeat(opening));
    i += opening;
    loop {
        let closes = chars[i] == '"'
            && chars[i + 1..]
                .iter()
                .take(hashes)
                .filter(|&&c| c == '#')
                .count()
                == hashes;
        if closes {
            out.push_str(&" ".repeat(1 + hashes));
            return i + 1 + hashes;
        }
        out.push(if chars[i] == '\n' { '\n' } else { ' ' });
        i += 1;
    }
}

/// Whether `'` at `i` opens a character literal (`'x'`, `'\n'`, `'"'`) rather than a lifetime.
fn is_char_literal(chars: &[char], i: usize) -> bool {
    match chars.get(i + 1) {
        Some('\\') => true,
        Some(_) => chars.get(i + 2) == Some(&'\''),
        None => false,
    }
}

/// Every loop among `edges` (from, to, the import behind it), with the imports that close it.
fn loops(edges: &[(String, String, &Import)]) -> Vec<String> {
    let mut graph: BTreeMap<&str, BTreeMap<&str, &Import>> = BTreeMap::new();
    for (from, to, import) in edges {
        graph.entry(from).or_default().entry(to).or_insert(import);
    }
    let mut problems = Vec::new();
    let mut reported: BTreeSet<Vec<&str>> = BTreeSet::new();
    for &start in graph.keys() {
        if let Some(path) = path_back(&graph, start) {
            let mut key = path.clone();
            key.sort_unstable();
            if reported.insert(key) {
                let steps: Vec<String> = path
                    .iter()
                    .zip(path.iter().cycle().skip(1))
                    .map(|(from, to)| {
                        let import = graph[from][to];
                        format!("{from} -> {to} ({}:{})", import.file, import.line)
                    })
                    .collect();
                problems.push(format!("a loop of imports: {}", steps.join(", ")));
            }
        }
    }
    problems
}

/// The shortest path of imports from `start` back to itself (the modules on it, `start`
/// first), if any: breadth first, so a loop is named by its fewest steps.
fn path_back<'a>(
    graph: &BTreeMap<&'a str, BTreeMap<&'a str, &Import>>,
    start: &'a str,
) -> Option<Vec<&'a str>> {
    let mut parent: BTreeMap<&str, &str> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([start]);
    while let Some(at) = queue.pop_front() {
        for &next in graph.get(at).into_iter().flat_map(|n| n.keys()) {
            if next == start {
                let mut path = vec![at];
                while let Some(&p) = parent.get(path[0]) {
                    path.insert(0, p);
                }
                return Some(path);
            }
            if next != start && !parent.contains_key(next) {
                parent.insert(next, at);
                queue.push_back(next);
            }
        }
    }
    None
}

#[test]
fn the_reader_sees_imports_only_in_code() {
    let code = r#"
        use crate::{config::Config, error::{self, Error}, summary::{table::Row, sweeps}};
        // use crate::commented;
        /* crate::blocked /* nested */ */
        let text = "crate::quoted";
        let quote = '"'; let lifetime: &'static str = "";
        let probe = crate::timeline::Probe::OFF;
        use super::sibling::Thing;
        pub(super) fn f() {}
        mod tests { use super::*; use super::inner; }
    "#;
    let names = |paths: Vec<(usize, Vec<String>)>| -> Vec<(usize, String)> {
        paths.into_iter().map(|(l, p)| (l, p.join("::"))).collect()
    };
    assert_eq!(
        names(crate_paths(
            &blank_non_code(code),
            &vec!["summary".into(), "x".into()]
        )),
        [
            (2, "config::Config".to_owned()),
            (2, "error".to_owned()),
            (2, "error::Error".to_owned()),
            (2, "summary::table::Row".to_owned()),
            (2, "summary::sweeps".to_owned()),
            (7, "timeline::Probe::OFF".to_owned()),
            (8, "summary::sibling::Thing".to_owned()),
        ]
    );
}

#[test]
fn the_list_is_read_under_either_heading_with_items_running_on() {
    for heading in ["# Layers", "## Layers"] {
        let lib = format!(
            "//! {heading}\n//! Prose.\n//!\n//! 1. ground: `crate`, [`error`] — why;\n\
             //! 2. models: [`summary`],\n//!    [`compare`] — why\n//! # Next\n//! 3. x: `y`\n"
        );
        let layers: Vec<(String, usize)> = declared_layers(&lib)
            .into_iter()
            .map(|(module, (number, _))| (module, number))
            .collect();
        assert_eq!(
            layers,
            [
                ("compare".to_owned(), 2),
                ("crate".to_owned(), 1),
                ("error".to_owned(), 1),
                ("summary".to_owned(), 2)
            ],
            "{heading}"
        );
    }
}

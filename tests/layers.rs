//! The library's layers, as `src/lib.rs` declares them, kept: every module of `src/` (but
//! `src/bin/`, whose programs are the crate's users) imports only from its own layer and those
//! below it, and no modules import each other around a loop.
//!
//! It reads the code, not the compiler's view of it: `crate::` paths anywhere in a file (a
//! `use`, a grouped `use crate::{a, b}`, or a path in an expression or type), with comments,
//! strings and character literals blanked first. `super::` stays inside the file's top-level
//! module, except at the top level of a file directly under `src/`, where it is the crate root.
//! A name under `crate::` that is no module (`crate::lock`) is the root, which every layer may use.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The crate root's name in the layer list.
const ROOT: &str = "crate";

/// One `crate::…` import: where it is, and which top-level module it reaches.
#[derive(Clone, Debug)]
struct Import {
    file: String,
    line: usize,
    from: String,
    to: String,
}

#[test]
fn every_import_goes_to_the_same_or_a_lower_layer_and_none_closes_a_loop() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let layers = declared_layers(&std::fs::read_to_string(src.join("lib.rs")).unwrap());
    let modules = top_level_modules(&src);
    let mut problems = placement_problems(&layers, &modules);
    let imports: Vec<Import> = rust_files(&src)
        .iter()
        .flat_map(|file| imports_of(&src, file, &modules))
        .collect();
    for import in &imports {
        let (Some(from), Some(to)) = (layers.get(&import.from), layers.get(&import.to)) else {
            continue;
        };
        if to.0 > from.0 {
            problems.push(format!(
                "{}:{}: `{}` (layer {} {}) imports `{}` from the higher layer {} {}",
                import.file, import.line, import.from, from.0, from.1, import.to, to.0, to.1
            ));
        }
    }
    problems.extend(loops(&imports));
    assert!(
        problems.is_empty(),
        "the layers of src/lib.rs's doc are broken:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_reader_sees_imports_only_in_code() {
    let code = r#"
        use crate::{config::Config, error::{self, Error}};
        // use crate::commented;
        /* crate::blocked /* nested */ */
        let text = "crate::quoted";
        let quote = '"'; let lifetime: &'static str = "";
        let probe = crate::timeline::Probe::OFF;
    "#;
    assert_eq!(
        crate_paths(&blank_non_code(code), false),
        [
            (2, "config".to_owned()),
            (2, "error".to_owned()),
            (7, "timeline".to_owned())
        ]
    );
}

/// Each module's layer (number and name), from the numbered list under `## Layers` in the
/// crate doc: `//! 3. work: [`workload`], [`server`] — …`.
fn declared_layers(lib: &str) -> BTreeMap<String, (usize, String)> {
    let mut layers = BTreeMap::new();
    let section = lib
        .lines()
        .skip_while(|line| line.trim() != "//! ## Layers")
        .take_while(|line| line.starts_with("//!"));
    for line in section {
        let text = line.trim_start_matches("//!").trim();
        let Some((number, rest)) = text.split_once(". ") else {
            continue;
        };
        let Ok(number) = number.parse::<usize>() else {
            continue;
        };
        let (name, modules) = rest.split_once(':').expect("`N. name: modules — why`");
        let modules = modules.split(" — ").next().unwrap();
        for module in modules.split('`').skip(1).step_by(2) {
            let previous = layers.insert(module.to_owned(), (number, name.to_owned()));
            assert!(previous.is_none(), "{module} is in two layers");
        }
    }
    assert!(!layers.is_empty(), "src/lib.rs declares no layers");
    layers
}

/// The crate's top-level modules: `src/<name>.rs` and `src/<name>/`, and the root.
fn top_level_modules(src: &Path) -> BTreeSet<String> {
    let mut modules = BTreeSet::from([ROOT.to_owned()]);
    for entry in std::fs::read_dir(src).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        if name == "bin" || name == "lib" {
            continue;
        }
        if path.is_dir() || path.extension().is_some_and(|ext| ext == "rs") {
            modules.insert(name);
        }
    }
    modules
}

/// Modules the list leaves out, and names in it that are no module.
fn placement_problems(
    layers: &BTreeMap<String, (usize, String)>,
    modules: &BTreeSet<String>,
) -> Vec<String> {
    let unplaced = modules
        .iter()
        .filter(|module| !layers.contains_key(*module))
        .map(|module| format!("src/lib.rs: `{module}` is in no layer"));
    let unknown = layers
        .keys()
        .filter(|name| !modules.contains(*name))
        .map(|name| format!("src/lib.rs: the layers name `{name}`, which is no module"));
    unplaced.chain(unknown).collect()
}

/// Every `.rs` file under `src/` but `src/bin/`.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() && path.file_name().unwrap() != "bin" {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            files.push(path);
        }
    }
    files.sort();
    files
}

/// The imports of one file that leave its top-level module.
fn imports_of(src: &Path, file: &Path, modules: &BTreeSet<String>) -> Vec<Import> {
    let relative = file.strip_prefix(src).unwrap();
    let mut parts = relative.components();
    let first = parts.next().unwrap().as_os_str().to_string_lossy();
    let top = match first.strip_suffix(".rs") {
        Some("lib") => ROOT.to_owned(),
        Some(stem) => stem.to_owned(),
        None => first.into_owned(),
    };
    let directly_under_src = relative.components().count() == 1;
    let code = blank_non_code(&std::fs::read_to_string(file).unwrap());
    crate_paths(&code, directly_under_src)
        .into_iter()
        .map(|(line, name)| Import {
            file: format!("src/{}", relative.display()),
            line,
            from: top.clone(),
            to: if modules.contains(&name) {
                name
            } else {
                ROOT.to_owned()
            },
        })
        .filter(|import| import.to != import.from)
        .collect()
}

/// The first segment after each `crate::` (each name of a grouped `crate::{…}`), with its line.
/// `super::` at brace depth 0 of a file directly under `src/` is `crate::`.
fn crate_paths(code: &str, directly_under_src: bool) -> Vec<(usize, String)> {
    let bytes = code.as_bytes();
    let mut found = Vec::new();
    let (mut line, mut depth) = (1, 0usize);
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => line += 1,
            b'{' => depth += 1,
            b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        let starts_word = i == 0 || !is_ident(bytes[i - 1]) && bytes[i - 1] != b'$';
        let rest = &code[i..];
        let after = if !starts_word {
            None
        } else if let Some(after) = rest.strip_prefix("crate::") {
            Some(after)
        } else if directly_under_src && depth == 0 {
            rest.strip_prefix("super::")
        } else {
            None
        };
        if let Some(after) = after {
            for name in first_segments(after) {
                found.push((line, name));
            }
        }
        i += 1;
    }
    found
}

/// `name…` → `[name]`; `{a, b::c, d::{e}}` → `[a, b, d]`.
fn first_segments(after: &str) -> Vec<String> {
    let ident = |text: &str| -> String {
        text.trim_start()
            .bytes()
            .take_while(|&b| is_ident(b))
            .map(char::from)
            .collect()
    };
    let Some(group) = after.strip_prefix('{') else {
        return vec![ident(after)];
    };
    let mut names = Vec::new();
    let (mut depth, mut start) = (0usize, 0);
    for (index, byte) in group.bytes().enumerate() {
        match byte {
            b'{' => depth += 1,
            b'}' if depth == 0 => {
                names.push(ident(&group[start..index]));
                break;
            }
            b'}' => depth -= 1,
            b',' if depth == 0 => {
                names.push(ident(&group[start..index]));
                start = index + 1;
            }
            _ => {}
        }
    }
    names.retain(|name| !name.is_empty() && name != "self");
    names
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

/// Every loop of imports between top-level modules, with the imports that close it.
fn loops(imports: &[Import]) -> Vec<String> {
    let mut edges: BTreeMap<&str, BTreeMap<&str, &Import>> = BTreeMap::new();
    for import in imports {
        edges
            .entry(&import.from)
            .or_default()
            .entry(&import.to)
            .or_insert(import);
    }
    let mut problems = Vec::new();
    let mut reported: BTreeSet<Vec<&str>> = BTreeSet::new();
    for &start in edges.keys() {
        if let Some(path) = path_back(&edges, start, start, &mut BTreeSet::new()) {
            let mut key = path.clone();
            key.sort_unstable();
            if reported.insert(key) {
                let steps: Vec<String> = path
                    .iter()
                    .zip(path.iter().cycle().skip(1))
                    .map(|(from, to)| {
                        let import = edges[from][to];
                        format!("{from} -> {to} ({}:{})", import.file, import.line)
                    })
                    .collect();
                problems.push(format!("a loop of imports: {}", steps.join(", ")));
            }
        }
    }
    problems
}

/// A path of imports from `at` back to `start` (the modules on it, `at` first), if any.
fn path_back<'a>(
    edges: &BTreeMap<&'a str, BTreeMap<&'a str, &Import>>,
    start: &str,
    at: &'a str,
    seen: &mut BTreeSet<&'a str>,
) -> Option<Vec<&'a str>> {
    for &next in edges.get(at)?.keys() {
        if next == start {
            return Some(vec![at]);
        }
        if seen.insert(next) {
            if let Some(mut rest) = path_back(edges, start, next, seen) {
                rest.insert(0, at);
                return Some(rest);
            }
        }
    }
    None
}

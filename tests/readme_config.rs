//! The README's Configuration table says what `src/config/mod.rs` declares: one row per variable, in
//! the same order, with its name, default, what it accepts and what it means.

use concurrency_bench::config::{Variable, VARIABLES};

const README: &str = include_str!("../README.md");

const HEADER: &str = "| variable | default | allowed | meaning |\n|---|---|---|---|";

/// Text in a Markdown table cell: `<` would start an HTML tag, `|` would end the cell.
fn cell(text: &str) -> String {
    text.replace('<', "\\<").replace('|', "\\|")
}

fn row(variable: &Variable) -> String {
    format!(
        "| `{}` | {} | {} | {} |",
        variable.name,
        cell(&variable.default),
        cell(&variable.allowed),
        // Already Markdown (code spans): only a `|` would break the row.
        variable.meaning.replace('|', "\\|")
    )
}

/// The table's rows under "## Configuration", as the README has them.
fn readme_rows() -> Vec<&'static str> {
    let section = README
        .split_once("\n## Configuration\n")
        .expect("README.md has a \"## Configuration\" section")
        .1;
    let section = section.split("\n## ").next().unwrap_or(section);
    let table = section
        .split_once(HEADER)
        .expect("the Configuration section has the variables' table")
        .1;
    table
        .lines()
        .skip(1)
        .take_while(|line| line.starts_with('|'))
        .collect()
}

#[test]
fn the_readme_table_matches_the_declarations() {
    let expected: Vec<String> = VARIABLES.iter().map(row).collect();
    assert!(
        readme_rows() == expected,
        "README.md's Configuration table differs from src/config/mod.rs; its rows should be:\n{}",
        expected.join("\n")
    );
}

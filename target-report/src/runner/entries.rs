//! What one run of a session measures: one benchmark, or a group's benchmarks together.
//!
//! A plain `cargo bench` runs a group's strategies in one process, interleaved in rounds (the
//! suite's `src/rounds/`); a run of one benchmark (`--exact <id>`) measures it alone. A run of
//! a group selects exactly its benchmarks with one filter, which the suite's bench executables
//! read as Criterion does (its `src/criterion_args.rs`): without `--exact`, the positional
//! filter is a regular expression that may match anywhere in `group/function`, so it is
//! anchored at both ends and every id escaped.

/// What the entries of a session's plan are (`session::Plan::benches`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entries {
    /// Benchmark ids: a run measures one, selected with `--exact <id>` (`ab`, `layout`,
    /// `backfill`, `calibrate --per-benchmark`).
    Benchmarks,
    /// Groups: a run of entry `b` measures the benchmarks `members[b]` together, in one call
    /// whose filter selects exactly them ([`exact_regex`]), as `cargo bench` runs a group.
    Groups(Vec<Vec<String>>),
}

impl Entries {
    /// The benchmark ids a run of entry `b`, named `name`, measures.
    pub fn members<'a>(&'a self, b: usize, name: &'a String) -> &'a [String] {
        match self {
            Entries::Benchmarks => std::slice::from_ref(name),
            Entries::Groups(members) => &members[b],
        }
    }

    /// The Criterion arguments selecting entry `b`'s benchmarks.
    pub fn filter_args(&self, b: usize, name: &str) -> Vec<String> {
        match self {
            Entries::Benchmarks => vec!["--exact".into(), name.to_string()],
            Entries::Groups(members) => vec![exact_regex(&members[b])],
        }
    }

    /// Entry `b` of `names` for the progress line: `benchmark 2/9 cpu/fib/rayon`, or
    /// `group 1/3 cpu/fib (8 benchmarks)`.
    pub fn label(&self, b: usize, names: &[String]) -> String {
        let at = format!("{}/{} {}", b + 1, names.len(), names[b]);
        match self {
            Entries::Benchmarks => format!("benchmark {at}"),
            Entries::Groups(members) => match members[b].len() {
                1 => format!("group {at} (1 benchmark)"),
                n => format!("group {at} ({n} benchmarks)"),
            },
        }
    }
}

/// A regular expression matching exactly the ids `ids` and nothing else: `^(a|b)$`, each id's
/// metacharacters escaped.
pub fn exact_regex(ids: &[String]) -> String {
    let alternatives: Vec<String> = ids.iter().map(|id| escape(id)).collect();
    format!("^({})$", alternatives.join("|"))
}

/// `text` with every regex metacharacter escaped (those the `regex` crate's `escape` escapes).
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if r"\.+*?()|[]{}^$#&-~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_group_is_selected_by_an_anchored_alternation_of_its_escaped_ids() {
        let ids = strings(&["cpu/fib/sequential", "cpu/fib/rayon"]);
        assert_eq!(exact_regex(&ids), "^(cpu/fib/sequential|cpu/fib/rayon)$");
        let odd = strings(&["blocking_hop/L=0ms/a.b", "g/f(x)+1"]);
        assert_eq!(
            exact_regex(&odd),
            r"^(blocking_hop/L=0ms/a\.b|g/f\(x\)\+1)$"
        );
    }

    #[test]
    fn benchmarks_run_alone_and_groups_together() {
        let names = strings(&["cpu/fib", "io/download"]);
        let groups = Entries::Groups(vec![
            strings(&["cpu/fib/sequential", "cpu/fib/rayon"]),
            strings(&["io/download/sequential"]),
        ]);
        assert_eq!(groups.members(0, &names[0]).len(), 2);
        assert_eq!(
            groups.filter_args(1, &names[1]),
            ["^(io/download/sequential)$"]
        );
        assert_eq!(groups.label(0, &names), "group 1/2 cpu/fib (2 benchmarks)");
        let single = Entries::Benchmarks;
        assert_eq!(single.members(1, &names[1]), ["io/download"]);
        assert_eq!(single.filter_args(0, &names[0]), ["--exact", "cpu/fib"]);
        assert_eq!(single.label(1, &names), "benchmark 2/2 io/download");
    }
}

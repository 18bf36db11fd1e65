//! CPU time beside wall time: each row's CPU per iteration by who spent it (the suite's threads,
//! the embedded server, the worker processes) and the cores it kept busy, from the samples of
//! the group's rounds ([`crate::cpu_time`]); and the sentences that say what they mean — how
//! many cores each strategy kept busy, and for an I/O strategy short of its ideal, whether the
//! CPU on its path is enough to explain the time beyond it.

use std::path::Path;

use super::pairing::Pairer;
use super::table::Row;
use crate::cpu_time::{self, PartCpu, StrategyCpu};
use crate::error::Result;
use crate::format::{fmt_cores, fmt_ns, fmt_pct};
use crate::rounds::Rounds;
use crate::stats::Interval;

/// An I/O strategy below this share of its ideal gets a sentence on where its time goes.
pub(crate) const SHORT_OF_IDEAL: f64 = 0.9;

/// Gives each row whose Criterion samples are the rounds' own ([`Pairer::describes`]) the CPU
/// time of those samples. A row measured in another run (a filtered run rewrote the rounds)
/// gets none: the rounds' CPU is not its.
pub(super) fn attach(rows: &mut [Row], rounds: Option<&Rounds>, pairer: &Pairer) {
    let Some(rounds) = rounds else {
        return;
    };
    for row in rows.iter_mut().filter(|r| pairer.describes(&r.function)) {
        row.cpu = cpu_time::strategy_cpu(rounds, &row.function);
    }
}

/// A sweep point's CPU time, from its own `cb-cpu.json` (sweep points are not measured in
/// rounds), when the file holds as many samples as the row's `sample.json`: the bench writes
/// it beside each sample set it measured and removes it otherwise, so a count that differs
/// means the two do not describe the same samples, and the point gets none.
pub(super) fn of_sweep_point(
    bench_dir: &Path,
    baseline: &str,
    row: &Row,
) -> Result<Option<StrategyCpu>> {
    let cpu = cpu_time::load_benchmark(bench_dir, baseline)?;
    Ok(cpu.filter(|c| c.samples == row.samples))
}

/// The parts of `cpu` worth naming, with their names: the client always, the server when the
/// run had one, the workers when they spent anything.
pub fn parts(cpu: &StrategyCpu) -> Vec<(&'static str, &PartCpu)> {
    let mut parts = vec![("client", &cpu.client)];
    if let Some(server) = &cpu.server {
        parts.push(("server", server));
    }
    if cpu.workers.per_iteration_ns.point > 0.0 {
        parts.push(("workers", &cpu.workers));
    }
    parts
}

/// `14.0 ms client · 9.10 ms server`: the parts of one iteration's CPU time.
pub fn parts_text(cpu: &StrategyCpu) -> String {
    parts(cpu)
        .iter()
        .map(|(name, part)| format!("{} {name}", fmt_ns(part.per_iteration_ns.point)))
        .collect::<Vec<_>>()
        .join(" · ")
}

/// The table's sentences on CPU time: the cores each strategy kept busy (when any row has CPU
/// time), then, per I/O row short of its ideal, where the time beyond the ideal goes.
pub(super) fn sentences(title: &str, rows: &[Row], cores: Option<u64>) -> Vec<String> {
    let mut measured: Vec<(&Row, &StrategyCpu)> = rows
        .iter()
        .filter_map(|r| Some((r, r.cpu.as_ref()?)))
        .collect();
    if measured.is_empty() {
        return Vec::new();
    }
    measured.sort_by(|a, b| b.1.total.cores.point.total_cmp(&a.1.total.cores.point));
    let mut out = vec![cores_sentence(title, &measured, cores)];
    out.extend(
        measured
            .iter()
            .filter_map(|(row, cpu)| beyond_ideal_sentence(row, cpu)),
    );
    out
}

/// "Cores kept busy in cpu/fib (of 2; …): `rayon` 1.9; `gil_threads`, `sequential` 1.0.": one
/// list, busiest first, strategies that round to the same number named together.
fn cores_sentence(title: &str, measured: &[(&Row, &StrategyCpu)], cores: Option<u64>) -> String {
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    for (row, cpu) in measured {
        let busy = fmt_cores(cpu.total.cores.point);
        let name = format!("`{}`", row.function);
        match groups.last_mut() {
            Some((last, names)) if *last == busy => names.push(name),
            _ => groups.push((busy, vec![name])),
        }
    }
    let list = groups
        .into_iter()
        .map(|(busy, names)| format!("{} {busy}", names.join(", ")))
        .collect::<Vec<_>>()
        .join("; ");
    let of = cores.map_or(String::new(), |c| format!("of {c}; "));
    format!(
        "Cores kept busy in {title} ({of}CPU time ÷ wall time, the suite's threads, the server and the workers together): {list}."
    )
}

/// For an I/O row below [`SHORT_OF_IDEAL`] of ⌈N/C⌉·L: its CPU per iteration by part against
/// the time its median spends beyond the ideal ([`beyond_ideal`]).
fn beyond_ideal_sentence(row: &Row, cpu: &StrategyCpu) -> Option<String> {
    let efficiency = row.efficiency.as_ref()?;
    if efficiency.ratio.point >= SHORT_OF_IDEAL {
        return None;
    }
    let spent = cpu.total.per_iteration_ns;
    Some(format!(
        "`{}` reached {} of its ideal ({} against {}) and kept {} cores busy: {} of CPU per iteration ({}), {}.",
        row.function,
        fmt_pct(efficiency.ratio.point),
        fmt_ns(row.median_ns.point),
        fmt_ns(efficiency.ideal_ns),
        fmt_cores(cpu.total.cores.point),
        fmt_ns(spent.point),
        parts_text(cpu),
        beyond_ideal(
            row.median_ns.point,
            efficiency.ideal_ns,
            spent,
            cpu.total.cores.point
        ),
    ))
}

/// Cores busy from which a strategy short of its ideal counts as bound by CPU: about one core
/// saturated, as a single-threaded client or server would be.
const SATURATED: f64 = 0.8;

/// Whether `cpu_ns`, the CPU one iteration costs (95% interval), accounts for the time a
/// median spends beyond its ideal, in words that end a sentence. CPU at least that long does:
/// the time beyond the ideal is CPU work (sending, parsing, serving) the waiting does not hide,
/// and with about a core kept busy (`cores` ≥ [`SATURATED`]) the strategy is bound by CPU, not
/// by latency. Less CPU leaves the rest to waiting with no CPU spent.
pub(crate) fn beyond_ideal(median_ns: f64, ideal_ns: f64, cpu_ns: Interval, cores: f64) -> String {
    let beyond = median_ns - ideal_ns;
    if cpu_ns.lower >= beyond {
        let why = if cores >= SATURATED {
            "bound by CPU, not by latency"
        } else {
            "CPU work the waiting does not hide"
        };
        format!(
            "enough CPU to account for the {} beyond the ideal: {why}",
            fmt_ns(beyond)
        )
    } else if cpu_ns.upper < beyond {
        format!(
            "less CPU than the {} beyond the ideal: at least {} per iteration is waiting with no CPU spent (scheduling, connection set-up, the server's pacing)",
            fmt_ns(beyond),
            fmt_ns(beyond - cpu_ns.upper)
        )
    } else {
        format!(
            "about as much CPU as the {} beyond the ideal (the interval covers it)",
            fmt_ns(beyond)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::summary::fixtures::row;
    use crate::summary::Efficiency;

    fn part(per_iteration_ns: f64, cores: f64) -> PartCpu {
        PartCpu {
            per_iteration_ns: Interval::exact(per_iteration_ns),
            user_ns: Interval::exact(per_iteration_ns),
            system_ns: Interval::exact(0.0),
            cores: Interval::exact(cores),
        }
    }

    fn cpu(function: &str, client: f64, server: Option<f64>, wall: f64) -> StrategyCpu {
        let total = client + server.unwrap_or(0.0);
        StrategyCpu {
            function: function.into(),
            samples: 10,
            iterations: 10,
            wall_ns: wall * 10.0,
            tick_ns: 10_000_000,
            client: part(client, client / wall),
            server: server.map(|s| part(s, s / wall)),
            workers: part(0.0, 0.0),
            total: part(total, total / wall),
        }
    }

    fn io_row(function: &str, median_ns: f64, ideal_ns: f64, cpu: StrategyCpu) -> Row {
        let mut r = row(
            &format!("io/download/{function}"),
            median_ns,
            median_ns,
            median_ns,
        );
        r.efficiency = Some(Efficiency {
            latency_ms: 20.0,
            ideal_ns,
            ratio: Interval::exact(ideal_ns / median_ns),
        });
        r.cpu = Some(cpu);
        r
    }

    #[test]
    fn cores_are_listed_busiest_first_and_equal_ones_together() {
        let mut rows = vec![
            row("cpu/fib/sequential", 4e8, 4e8, 4e8),
            row("cpu/fib/gil_threads", 4e8, 4e8, 4e8),
            row("cpu/fib/rayon", 2e8, 2e8, 2e8),
        ];
        rows[0].cpu = Some(cpu("sequential", 4e8, None, 4e8));
        rows[1].cpu = Some(cpu("gil_threads", 4.1e8, None, 4e8));
        rows[2].cpu = Some(cpu("rayon", 3.8e8, None, 2e8));
        let s = sentences("cpu/fib", &rows, Some(2));
        assert_eq!(s.len(), 1, "no I/O sentence for CPU work: {s:?}");
        assert!(
            s[0].contains("(of 2;")
                && s[0].contains(": `rayon` 1.9; `gil_threads`, `sequential` 1.0."),
            "{}",
            s[0]
        );
    }

    #[test]
    fn an_io_row_short_of_its_ideal_is_bound_by_cpu_only_when_its_cpu_covers_the_excess() {
        // 27.4 ms against 20 ms: 7.4 ms beyond. 23 ms of CPU covers it; 2 ms does not.
        let bound = io_row(
            "tokio_current_thread",
            27.4e6,
            20e6,
            cpu("tokio_current_thread", 14e6, Some(9e6), 27.4e6),
        );
        let waiting = io_row(
            "thread_per_job",
            36e6,
            20e6,
            cpu("thread_per_job", 1.5e6, Some(0.5e6), 36e6),
        );
        let ideal = io_row(
            "thread_pool",
            20.5e6,
            20e6,
            cpu("thread_pool", 9e6, Some(5e6), 20.5e6),
        );
        let s = sentences("io/download", &[bound, waiting, ideal], Some(2));
        assert_eq!(
            s.len(),
            3,
            "one on cores, one per row short of its ideal: {s:?}"
        );
        let of = |name: &str| s.iter().find(|l| l.starts_with(&format!("`{name}`")));
        let bound = of("tokio_current_thread").expect("its sentence");
        assert!(bound.contains("73% of its ideal"), "{bound}");
        assert!(
            bound.contains("23.0 ms of CPU per iteration (14.0 ms client · 9.00 ms server)"),
            "{bound}"
        );
        assert!(
            bound
                .contains("account for the 7.40 ms beyond the ideal: bound by CPU, not by latency"),
            "{bound}"
        );
        let waiting = of("thread_per_job").expect("its sentence");
        assert!(
            waiting.contains("at least 14.0 ms per iteration is waiting"),
            "{waiting}"
        );
        assert!(
            of("thread_pool").is_none(),
            "98% of the ideal needs no explaining"
        );
    }

    #[test]
    fn rows_without_cpu_time_say_nothing() {
        let rows = vec![row("cpu/fib/sequential", 4e8, 4e8, 4e8)];
        assert!(sentences("cpu/fib", &rows, Some(2)).is_empty());
    }
}

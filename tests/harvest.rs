//! Harvests beyond the API's 3,150-offer window, through the binary, against
//! the France Travail stand-in (`jobharvest-standin`): slicing, `--dry-run`,
//! interrupt and `--resume`, refused slices, spent retries.
//!
//! The stand-in enforces a higher rate limit than the real API (and the
//! specs ask for it), so that these runs take about a second each.

use std::collections::HashSet;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use jobharvest_standin::{Fault, Standin, StandinConfig, api_date_days_ago};

use crate::support::*;

/// Requests per second the stand-in allows, and the specs ask for.
const RATE: u32 = 100;

fn standin_config(offers: usize) -> StandinConfig {
    StandinConfig {
        offers,
        slim: true,
        rate_limit_per_sec: Some(RATE),
        ..StandinConfig::default()
    }
}

fn spec(standin: &Standin, extra: &str) -> String {
    format!(
        "sources:\n  - type: france_travail\n    api_url: {}\n    token_url: {}\n    client_id: test-app\n    client_secret: test-secret\n    rate_limit_per_sec: {RATE}\n{extra}sinks:\n  - {{ type: parquet, path: out/offres.parquet }}\n",
        standin.api_url(),
        standin.token_url(),
    )
}

fn write_spec(dir: &Path, standin: &Standin, extra: &str) {
    std::fs::write(dir.join("job.yaml"), spec(standin, extra)).unwrap();
}

async fn run(dir: &Path, args: &[&str]) -> std::process::Output {
    jobharvest_async(
        dir.to_path_buf(),
        args.iter().map(|a| a.to_string()).collect(),
        Vec::new(),
    )
    .await
}

/// Every offer of the stand-in exactly once in the Parquet output.
fn assert_every_offer_once(standin: &Standin, dir: &Path) {
    let rows = read_parquet(&dir.join("out/offres.parquet"));
    let ids: Vec<String> = rows
        .iter()
        .map(|r| r["source_id"].as_str().unwrap().to_string())
        .collect();
    let unique: HashSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "an offer is written twice");
    let expected: HashSet<String> = standin.offer_ids().into_iter().collect();
    let missing = expected.iter().filter(|id| !unique.contains(id)).count();
    assert_eq!(missing, 0, "{missing} offers missing");
    assert_eq!(ids.len(), expected.len());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_query_beyond_the_window_gets_every_offer_once() {
    // 40 % of the offers share one second, 55 % are in one département.
    let standin = Standin::start(StandinConfig {
        burst_share: 0.4,
        big_share: 0.55,
        ..standin_config(9_000)
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    write_spec(dir.path(), &standin, "");
    let out = run(dir.path(), &["run", "job.yaml"]).await;
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("Harvested 9000 offers"), "{err}");
    assert!(err.contains("of 9000 reported"), "{err}");
    assert_every_offer_once(&standin, dir.path());
    let c = standin.counters();
    assert!(
        c.requests <= 60 + 40,
        "{} requests for a floor of 60",
        c.requests
    );
    assert!(
        !dir.path().join("out/.job.checkpoint.json").exists(),
        "a finished run leaves no checkpoint"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn dry_run_shows_the_slices_without_paging_them() {
    let standin = Standin::start(standin_config(7_000)).await;
    let dir = tempfile::tempdir().unwrap();
    write_spec(dir.path(), &standin, "");
    let out = run(dir.path(), &["run", "job.yaml", "--dry-run"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        text.contains("total reported by the API: 7000 offers"),
        "{text}"
    );
    assert!(text.contains("minCreationDate="), "{text}");
    let slices: usize = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("slices: "))
        .unwrap()
        .parse()
        .unwrap();
    assert!(slices >= 3, "{text}");
    let requests = standin.counters().requests;
    assert!(
        text.contains(&format!("requests: {requests} sent to plan")),
        "{text}"
    );
    assert!(text.contains("by creation date"), "{text}");
    assert!(
        standin
            .log()
            .iter()
            .all(|r| r.param("range").is_some_and(|p| p.starts_with("0-"))),
        "only first pages"
    );
    assert!(!dir.path().join("out/offres.parquet").exists());
}

/// The number of slices an interrupted run completed, from its checkpoint.
fn done_slices(dir: &Path) -> usize {
    let Ok(text) = std::fs::read_to_string(dir.join("out/.job.checkpoint.json")) else {
        return 0;
    };
    let Ok(state) = serde_json::from_str::<serde_json::Value>(&text) else {
        return 0;
    };
    state["done"].as_object().map_or(0, |d| {
        d.values().filter_map(|v| v.as_array()).map(Vec::len).sum()
    })
}

/// Starts `jobharvest run job.yaml` in `dir`, waits until a slice is done,
/// sends `signal` (`INT`, `TERM`, `HUP`) and returns what the run printed.
async fn stop_after_a_slice(dir: &Path, signal: &str) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_jobharvest"))
        .current_dir(dir)
        .args(["run", "job.yaml"])
        .env_remove("RUST_LOG")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while done_slices(dir) < 1 {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no slice completed"
        );
        if child.try_wait().unwrap().is_some() {
            panic!("the harvest ended before it could be stopped");
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let status = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_interrupted_harvest_resumes_with_fewer_requests() {
    // 20 requests per second: about 2.5 s for the whole harvest.
    let config = StandinConfig {
        latency: (Duration::from_millis(20), Duration::from_millis(60)),
        rate_limit_per_sec: Some(20),
        ..standin_config(7_000)
    };
    let slow = |standin: &Standin| {
        spec(standin, "").replace(
            &format!("    rate_limit_per_sec: {RATE}\n"),
            "    rate_limit_per_sec: 20\n",
        )
    };
    // From scratch, for comparison.
    let standin = Standin::start(config.clone()).await;
    let scratch = tempfile::tempdir().unwrap();
    std::fs::write(scratch.path().join("job.yaml"), slow(&standin)).unwrap();
    let out = run(scratch.path(), &["run", "job.yaml"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let from_scratch = standin.counters().requests;

    // Interrupted with Ctrl-C once a slice is done.
    let standin = Standin::start(config).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("job.yaml"), slow(&standin)).unwrap();
    let out = stop_after_a_slice(dir.path(), "INT").await;
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(130), "{err}");
    assert!(err.contains("--resume"), "{err}");
    assert!(!dir.path().join("out/offres.parquet").exists());
    let interrupted = standin.counters().requests;

    let out = run(dir.path(), &["run", "job.yaml", "--resume"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_every_offer_once(&standin, dir.path());
    let resumed = standin.counters().requests - interrupted;
    assert!(
        resumed < from_scratch,
        "the resumed run sent {resumed} requests, a whole run {from_scratch}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_slice_fails_the_run_with_its_parameters() {
    let standin = Standin::start(standin_config(5_000)).await;
    standin.set_fault(|q| {
        q.get("maxCreationDate").map(|_| {
            Fault::BadRequest("Valeur du paramètre « maxCreationDate » incorrecte.".into())
        })
    });
    let dir = tempfile::tempdir().unwrap();
    write_spec(dir.path(), &standin, "    params: { motsCles: data }\n");
    let out = run(dir.path(), &["run", "job.yaml"]).await;
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("Valeur du paramètre « maxCreationDate » incorrecte."),
        "{err}"
    );
    assert!(
        err.contains("minCreationDate=")
            && err.contains("maxCreationDate=")
            && err.contains("motsCles=data"),
        "the slice's parameters are named: {err}"
    );
    assert!(!dir.path().join("out/offres.parquet").exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn spent_retries_name_the_missing_slices_and_resume_fetches_them() {
    let standin = Standin::start(standin_config(8_000)).await;
    let cutoff = api_date_days_ago(12);
    // Windows that reach into the last 12 days fail with 503, always.
    standin.set_fault(move |q| {
        q.get("maxCreationDate")
            .filter(|max| *max > cutoff.as_str())
            .map(|_| Fault::Status(503))
    });
    let dir = tempfile::tempdir().unwrap();
    write_spec(dir.path(), &standin, "    max_retries: 1\n");
    let out = run(dir.path(), &["run", "job.yaml"]).await;
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("could not be fetched after retries"), "{err}");
    assert!(
        err.contains("maxCreationDate="),
        "the slices are named: {err}"
    );
    assert!(err.contains("offers are missing"), "{err}");
    assert!(err.contains("run again with --resume"), "{err}");
    assert!(!dir.path().join("out/offres.parquet").exists());
    let first = standin.counters().requests;

    standin.clear_fault();
    let out = run(dir.path(), &["run", "job.yaml", "--resume"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_every_offer_once(&standin, dir.path());
    let resumed = standin.counters().requests - first;
    assert!(
        resumed < 8_000 / 150,
        "the resumed run skipped the completed slices: {resumed} requests"
    );
}

/// SIGTERM (`kill`, `systemctl stop`, Kubernetes) and SIGHUP stop a
/// harvest as Ctrl-C does: no output and no temporary file left, the
/// summary of what was done, the exit code of the signal, and a `--resume`
/// that completes with every offer once.
#[tokio::test(flavor = "multi_thread")]
async fn sigterm_and_sighup_stop_like_ctrl_c_and_resume_completes() {
    for (signal, code) in [("TERM", 143), ("HUP", 129)] {
        let config = StandinConfig {
            latency: (Duration::from_millis(20), Duration::from_millis(60)),
            rate_limit_per_sec: Some(20),
            ..standin_config(7_000)
        };
        let standin = Standin::start(config).await;
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("job.yaml"),
            spec(&standin, "").replace(
                &format!("    rate_limit_per_sec: {RATE}\n"),
                "    rate_limit_per_sec: 20\n",
            ),
        )
        .unwrap();
        let out = stop_after_a_slice(dir.path(), signal).await;
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(code), "SIG{signal}: {err}");
        assert!(err.contains("SIG") && err.contains("Interrupted"), "{err}");
        assert!(
            err.contains("offers fetched") && err.contains("--resume"),
            "{err}"
        );
        let left: Vec<_> = std::fs::read_dir(dir.path().join("out"))
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".tmp") || n == "offres.parquet")
            .collect();
        assert!(left.is_empty(), "SIG{signal} left {left:?}");
        let out = run(dir.path(), &["run", "job.yaml", "--resume"]).await;
        assert!(out.status.success(), "{}", stderr(&out));
        assert_every_offer_once(&standin, dir.path());
    }
}

/// A run killed outright (SIGKILL, a power cut) cannot clean up: the next
/// run of the job removes the temporary files it left, and says so.
#[tokio::test(flavor = "multi_thread")]
async fn the_next_run_removes_what_a_killed_run_left_behind() {
    let standin = Standin::start(standin_config(300)).await;
    let dir = tempfile::tempdir().unwrap();
    write_spec(dir.path(), &standin, "");
    std::fs::create_dir_all(dir.path().join("out")).unwrap();
    // Linux pids stay below 4,194,304: no process has this one.
    let leftover = dir.path().join("out/.offres.parquet.4194399.Ab12Cd.tmp");
    std::fs::write(&leftover, b"PAR1 half a file").unwrap();
    let out = run(dir.path(), &["run", "job.yaml"]).await;
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(!leftover.exists(), "the dead run's file is removed");
    assert!(err.contains("left behind by a run that died"), "{err}");
    assert_every_offer_once(&standin, dir.path());
}

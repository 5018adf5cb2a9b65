//! Scraping `GET /metrics` and reading it with the Prometheus project's Python client's
//! parser (`prometheus_client.parser.text_string_to_metric_families`), installed with pip
//! into a virtual environment in the target directory unless it is there
//! ([`python_with`]).

use std::net::SocketAddr;
use std::process::Command;

use super::tools::{output_within, python_with};

/// The `prometheus_client` release the tests parse with.
const VERSION: &str = "0.21.1";

/// One metric family as the parser read it.
#[derive(Debug)]
pub struct Family {
    /// Its name (a counter's without `_total`, as the parser gives it).
    pub name: String,
    /// Its type; `unknown` when no `# TYPE` line named it.
    pub kind: String,
    /// Its `# HELP` text; empty when there was none.
    pub help: String,
}

/// One sample: name, labels (sorted `key=value` joined by `,`) and value.
#[derive(Debug)]
pub struct Sample {
    /// The sample's name (`…_total`, `…_bucket`, `…_count`, …).
    pub name: String,
    /// Its labels, `key=value` sorted by key, joined by `,`.
    pub labels: String,
    /// Its value.
    pub value: f64,
}

/// A parsed scrape.
#[derive(Debug)]
pub struct Scrape {
    /// Every family, in order.
    pub families: Vec<Family>,
    /// Every sample, in order.
    pub samples: Vec<Sample>,
}

impl Scrape {
    /// The value of the sample `name` whose labels are exactly `labels`
    /// (`key=value` sorted by key, joined by `,`); panics if there is none.
    pub fn value(&self, name: &str, labels: &str) -> f64 {
        self.samples
            .iter()
            .find(|s| s.name == name && s.labels == labels)
            .unwrap_or_else(|| panic!("no sample {name}{{{labels}}} in {:#?}", self.samples))
            .value
    }
}

/// Fetches `http://<control>/metrics` with GET and parses it; panics if the answer is not a
/// 200 in the text format, version 0.0.4, or the parser rejects it.
pub fn scrape(control: SocketAddr) -> Scrape {
    let output = run(SCRAPE, &format!("http://{control}/metrics"));
    let mut scrape = Scrape {
        families: Vec::new(),
        samples: Vec::new(),
    };
    for line in output.lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        match fields.as_slice() {
            ["family", name, kind, help] => scrape.families.push(Family {
                name: (*name).to_owned(),
                kind: (*kind).to_owned(),
                help: (*help).to_owned(),
            }),
            ["sample", name, labels, value] => scrape.samples.push(Sample {
                name: (*name).to_owned(),
                labels: (*labels).to_owned(),
                value: value.parse().unwrap_or_else(|e| panic!("{line}: {e}")),
            }),
            _ => panic!("unexpected parser output line {line:?}"),
        }
    }
    scrape
}

/// The status and `Allow` header of a POST to `http://<control>/metrics`, as `status allow`.
pub fn post(control: SocketAddr) -> String {
    run(POST, &format!("http://{control}/metrics"))
        .trim()
        .to_owned()
}

const SCRAPE: &str = r#"
import sys, urllib.request
from prometheus_client.parser import text_string_to_metric_families
with urllib.request.urlopen(sys.argv[1], timeout=10) as response:
    assert response.status == 200, response.status
    content_type = response.headers["Content-Type"]
    assert content_type == "text/plain; version=0.0.4; charset=utf-8", content_type
    text = response.read().decode("utf-8")
for family in text_string_to_metric_families(text):
    print("\t".join(["family", family.name, family.type, family.documentation]))
    for sample in family.samples:
        labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
        print("\t".join(["sample", sample.name, labels, repr(float(sample.value))]))
"#;

const POST: &str = r#"
import sys, urllib.request, urllib.error
try:
    urllib.request.urlopen(urllib.request.Request(sys.argv[1], data=b"", method="POST"), timeout=10)
    print("200 -")
except urllib.error.HTTPError as e:
    print(e.code, e.headers.get("Allow"))
"#;

/// Runs `script` with `arg` in the virtual environment; returns what it printed.
fn run(script: &str, arg: &str) -> String {
    let output = output_within(
        Command::new(python_with("prometheus_client", VERSION)).args(["-c", script, arg]),
        std::time::Duration::from_secs(60),
        "the Prometheus parser script",
    );
    assert!(
        output.status.success(),
        "the Prometheus parser script failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("the script printed UTF-8")
}

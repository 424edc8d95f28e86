//! `franz partitions estimate`: how many partitions a topic needs for a target throughput.
//!
//! The rule is Confluent's sizing guide: with `p` the throughput one partition takes from producers and `c` the
//! throughput one consumer reads from one partition, a topic carrying `T` needs `max(T/p, T/c)` partitions. The
//! lecture's worked example (T = 200 MB/s, 4 producers × 15 MB/s, 6 consumers × 20 MB/s, answer 4) divides by
//! the whole fleet instead: `T / (4 × 15)` = 3.33 and `T / (6 × 20)` = 1.67. That is the same rule with `p` and
//! `c` taken as the fleets' total rates, i.e. as if one partition could absorb everything every producer sends.
//! The command shows both, and says which assumption each makes.

use serde_json::{json, Value};

use super::CliError;

/// An estimate, with its arithmetic.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    pub target_mbps: f64,
    pub producer_mbps: f64,
    pub consumer_mbps: f64,
    /// `T/p` and `T/c`, and the rule's answer.
    pub for_producers: f64,
    pub for_consumers: f64,
    pub partitions: u64,
    /// The lecture's reading, when the fleet sizes are given: `T/(n·p)`, `T/(m·c)` and its answer.
    pub fleet: Option<(u64, u64, f64, f64, u64)>,
}

fn positive(name: &str, v: f64) -> Result<f64, CliError> {
    if v.is_finite() && v > 0.0 {
        Ok(v)
    } else {
        Err(CliError::usage(format!("--{name} must be a positive number of MB/s, got {v}")))
    }
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

pub fn estimate(target: f64, p: f64, c: f64, fleet: Option<(u64, u64)>) -> Result<Estimate, CliError> {
    let (t, p, c) = (positive("target-mbps", target)?, positive("producer-mbps", p)?, positive("consumer-mbps", c)?);
    let (for_producers, for_consumers) = (t / p, t / c);
    let fleet = match fleet {
        Some((0, _)) | Some((_, 0)) => return Err(CliError::usage("--producers and --consumers must be at least 1")),
        Some((n, m)) => {
            let (fp, fc) = (t / (n as f64 * p), t / (m as f64 * c));
            Some((n, m, fp, fc, fp.max(fc).ceil() as u64))
        }
        None => None,
    };
    let partitions = for_producers.max(for_consumers).ceil() as u64;
    Ok(Estimate { target_mbps: t, producer_mbps: p, consumer_mbps: c, for_producers, for_consumers, partitions, fleet })
}

impl Estimate {
    pub fn to_json(&self) -> Value {
        let mut v = json!({
            "rule": "max(T/p, T/c) (Confluent's sizing guide)",
            "target_mbps": self.target_mbps,
            "producer_mbps_per_partition": self.producer_mbps,
            "consumer_mbps_per_partition": self.consumer_mbps,
            "partitions_for_producers": round2(self.for_producers),
            "partitions_for_consumers": round2(self.for_consumers),
            "partitions": self.partitions,
        });
        if let Some((n, m, fp, fc, answer)) = self.fleet {
            v["lecture"] = json!({
                "producers": n,
                "consumers": m,
                "producer_fleet_mbps": n as f64 * self.producer_mbps,
                "consumer_fleet_mbps": m as f64 * self.consumer_mbps,
                "partitions_for_producers": round2(fp),
                "partitions_for_consumers": round2(fc),
                "partitions": answer,
            });
        }
        v
    }

    pub fn explain(&self) -> String {
        let (t, p, c) = (self.target_mbps, self.producer_mbps, self.consumer_mbps);
        let mut out = format!(
            "Rule (Confluent's sizing guide): partitions = max(T/p, T/c), with p and c what one partition takes\n\
             from producers and gives to one consumer.\n\
             \n  T/p = {t} / {p} = {:.2}\n  T/c = {t} / {c} = {:.2}\n\n  Partitions: {}\n",
            self.for_producers, self.for_consumers, self.partitions
        );
        if let Some((n, m, fp, fc, answer)) = self.fleet {
            out.push_str(&format!(
                "\nThe lecture's worked example divides by the whole fleet instead:\n\
                 \n  T/(producers × p) = {t} / ({n} × {p}) = {fp:.2}\n  T/(consumers × c) = {t} / ({m} × {c}) = {fc:.2}\n\
                 \n  Partitions: {answer} (the larger, rounded up)\n\
                 \nThat is the same rule with p = {} MB/s and c = {} MB/s, the fleets' totals: it assumes one partition\n\
                 can absorb everything every producer writes. With {p} and {c} MB/s per partition, {} partitions are\n\
                 needed; with fewer, the topic is capped at min(partitions × p, partitions × c) MB/s.\n",
                n as f64 * p,
                m as f64 * c,
                self.partitions
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lectures_example_both_ways() {
        let e = estimate(200.0, 15.0, 20.0, Some((4, 6))).unwrap();
        assert_eq!((round2(e.for_producers), round2(e.for_consumers), e.partitions), (13.33, 10.0, 14));
        let (_, _, fp, fc, answer) = e.fleet.unwrap();
        assert_eq!((round2(fp), round2(fc), answer), (3.33, 1.67, 4), "the lecture's 3.33, 1.67 and 4");
        assert!(e.explain().contains("= 3.33") && e.explain().contains("Partitions: 14"));
        assert!(estimate(0.0, 1.0, 1.0, None).is_err() && estimate(1.0, f64::NAN, 1.0, None).is_err());
        assert!(estimate(1.0, 1.0, 1.0, Some((0, 1))).is_err());
    }
}

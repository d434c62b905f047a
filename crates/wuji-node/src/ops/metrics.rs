//! The node's metrics registry: the live families of its telemetry, and a
//! collector that reads the rest off the node at each scrape (links and
//! their lag, refusals by rule, records by kind, the store's size, clock
//! offsets, the certificate's expiry, provisional calendars).

use super::OpsInfo;
use crate::node::Node;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::Registry;
use std::fmt::Error;
use wuji_division::Code;
use wuji_model::RecordKind;

/// The registry a scrape of `node` encodes.
pub fn registry(node: &Node, info: &OpsInfo) -> Registry {
    let mut registry = Registry::default();
    node.telemetry().live().register(&mut registry);
    registry.register_collector(Box::new(NodeCollector {
        node: node.clone(),
        info: info.clone(),
    }));
    registry
}

struct NodeCollector {
    node: Node,
    info: OpsInfo,
}

impl std::fmt::Debug for NodeCollector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "NodeCollector({})", self.node.code())
    }
}

type Labels = Vec<(&'static str, String)>;

/// A family read at a scrape: name, help, type and values.
type Family = (&'static str, &'static str, MetricType, Vec<(Labels, f64)>);

fn value(
    kind: MetricType,
    v: f64,
    e: prometheus_client::encoding::MetricEncoder<'_>,
) -> Result<(), Error> {
    match kind {
        MetricType::Counter => ConstCounter::new(v).encode(e),
        _ => ConstGauge::new(v).encode(e),
    }
}

/// Encodes one family: `name` (counters without `_total`, which the
/// encoder adds), its help, and one value per label set.
fn family(
    enc: &mut DescriptorEncoder<'_>,
    name: &str,
    help: &str,
    kind: MetricType,
    values: &[(Labels, f64)],
) -> Result<(), Error> {
    if values.is_empty() {
        return Ok(());
    }
    let mut m = enc.encode_descriptor(name, help, None, kind)?;
    // One value with no labels is written bare (`name 1`, not `name{} 1`).
    if let [(labels, v)] = values
        && labels.is_empty()
    {
        return value(kind, *v, m);
    }
    for (labels, v) in values {
        value(kind, *v, m.encode_family(labels)?)?;
    }
    Ok(())
}

impl Collector for NodeCollector {
    fn encode(&self, mut enc: DescriptorEncoder<'_>) -> Result<(), Error> {
        use MetricType::{Counter, Gauge};
        let node = &self.node;
        let t = node.telemetry();
        let layout = node.layout();
        let last = layout.last_seq().unwrap_or(0);
        let me = node.code();
        family(
            &mut enc,
            "wuji_node_info",
            "the node's code, level, software and protocol version (value 1)",
            Gauge,
            &[(
                vec![
                    ("node", me.to_string()),
                    ("level", me.level().en().to_string()),
                    ("version", env!("CARGO_PKG_VERSION").to_string()),
                    ("protocol", wuji_proto::PROTOCOL_VERSION.to_string()),
                    ("horizon", node.horizon().to_string()),
                ],
                1.0,
            )],
        )?;
        family(
            &mut enc,
            "wuji_log_seq",
            "this node's last log sequence",
            Gauge,
            &[(vec![], last as f64)],
        )?;
        let links = t.links();
        let per_link = |f: &dyn Fn(Code, &crate::telemetry::LinkInfo) -> Option<f64>| {
            links
                .iter()
                .filter_map(|(p, l)| {
                    f(*p, l).map(|v| {
                        (
                            vec![("peer", p.to_string()), ("role", l.role.to_string())],
                            v,
                        )
                    })
                })
                .collect::<Vec<_>>()
        };
        let link_families: [Family; 10] = [
            (
                "wuji_link_up",
                "1 while the link to the peer is up",
                Gauge,
                per_link(&|_, l| Some(f64::from(u8::from(l.connected)))),
            ),
            (
                "wuji_link_acked_seq",
                "highest log sequence of this node the peer acknowledged",
                Gauge,
                per_link(&|_, l| Some(l.acked as f64)),
            ),
            (
                "wuji_link_lag_entries",
                "log entries of this node the peer has not settled (acknowledged, or gone through with nothing for it)",
                Gauge,
                per_link(&|p, _| Some(last.saturating_sub(t.settled(p)) as f64)),
            ),
            (
                "wuji_link_lag_seconds",
                "age of the oldest log entry of this node the peer has not settled (0 when caught up)",
                Gauge,
                per_link(&|p, _| Some(t.lag_seconds(p, last))),
            ),
            (
                "wuji_link_sent_records",
                "record states sent to the peer",
                Counter,
                per_link(&|_, l| Some(l.sent as f64)),
            ),
            (
                "wuji_link_received_records",
                "record states received from the peer and applied",
                Counter,
                per_link(&|_, l| Some(l.received as f64)),
            ),
            (
                "wuji_link_batches",
                "batches received from the peer and applied",
                Counter,
                per_link(&|_, l| Some(l.batches as f64)),
            ),
            (
                "wuji_link_checks",
                "digest checks started on the link",
                Counter,
                per_link(&|_, l| Some(l.checks as f64)),
            ),
            (
                "wuji_link_repaired_records",
                "records resent to the peer because digests differed",
                Counter,
                per_link(&|_, l| Some(l.repaired as f64)),
            ),
            (
                "wuji_peer_clock_offset_seconds",
                "the peer's clock less this node's, as its last greeting stated it",
                Gauge,
                per_link(&|_, l| l.clock_offset_ms.map(|o| o as f64 / 1000.0)),
            ),
        ];
        for (name, help, kind, values) in &link_families {
            family(&mut enc, name, help, *kind, values)?;
        }
        let refusals: Vec<(Labels, f64)> = t
            .refusals()
            .into_iter()
            .map(|(rule, n)| (vec![("rule", rule)], n as f64))
            .collect();
        family(
            &mut enc,
            "wuji_refusals",
            "refusals (connections, calls, links, sections) by rule",
            Counter,
            &refusals,
        )?;
        let records: Vec<(Labels, f64)> = RecordKind::ALL
            .iter()
            .filter_map(|k| {
                let d = layout
                    .scope_digest_of_kind(Code::NATIONAL, crate::index::kind_byte(*k))
                    .ok()?;
                Some((
                    vec![("kind", format!("{k:?}").to_lowercase())],
                    d.records as f64,
                ))
            })
            .collect();
        family(
            &mut enc,
            "wuji_records",
            "records held, by kind",
            Gauge,
            &records,
        )?;
        if let Ok(bytes) = layout.kv().size_on_disk() {
            family(
                &mut enc,
                "wuji_store_bytes",
                "bytes the store takes on disk",
                Gauge,
                &[(vec![], bytes as f64)],
            )?;
        }
        if let Some(dir) = &self.info.data_dir
            && let (Ok(avail), Ok(total)) = (fs2::available_space(dir), fs2::total_space(dir))
        {
            family(
                &mut enc,
                "wuji_store_filesystem_avail_bytes",
                "bytes free to the node on the store's filesystem",
                Gauge,
                &[(vec![], avail as f64)],
            )?;
            family(
                &mut enc,
                "wuji_store_filesystem_size_bytes",
                "size of the store's filesystem",
                Gauge,
                &[(vec![], total as f64)],
            )?;
        }
        if let Some(at) = self.info.cert_not_after {
            let now = node.now_ms() as i64 / 1000;
            family(
                &mut enc,
                "wuji_certificate_expiry_seconds",
                "seconds until this node's certificate expires (negative: expired)",
                Gauge,
                &[(vec![], (at - now) as f64)],
            )?;
        }
        let provisional = node.calendar().notices(node.today()).len();
        family(
            &mut enc,
            "wuji_calendar_provisional_years",
            "holiday calendars in use (this year; from November the next too) that are provisional: no official calendar published",
            Gauge,
            &[(vec![], provisional as f64)],
        )?;
        Ok(())
    }
}

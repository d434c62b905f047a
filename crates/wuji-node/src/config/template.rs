//! The commented configuration file `wuji init` writes (and the level
//! examples in `config/` follow): every key with what it is for.

use super::Config;
use wuji_division::Level;

impl Config {
    /// The commented `wuji.toml` that `wuji init` writes for this configuration.
    pub fn to_commented_toml(&self) -> String {
        let code = self.code().level();
        let parent = match &self.parent {
            Some(p) => format!(
                "\n# The node above this one; this node dials it (only outbound connections\n# are needed from behind a county firewall).\n[parent]\n# Its division code: a higher congress whose region contains this one.\ncode = \"{}\"\n# Its address.\naddr = \"{}\"\n",
                p.code, p.addr
            ),
            None if code == Level::National => "\n# The national node has no parent.\n".to_string(),
            None => "\n# No parent configured: this node runs alone until you add one:\n# [parent]\n# code = \"...\"\n# addr = \"HOST:PORT\"\n".to_string(),
        };
        let tls = match &self.tls {
            Some(t) => format!(
                "\n# Mutual TLS: certificates from the federation CA (wuji ca issue).\n[tls]\n# CA bundle (old and new CA while rotating).\nca = \"{}\"\n# This node's certificate and key.\ncert = \"{}\"\nkey = \"{}\"\n# The key that signs every section this node writes.\nsign_key = \"{}\"\n{}",
                t.ca.display(),
                t.cert.display(),
                t.key.display(),
                t.sign_key.display(),
                match &t.crl {
                    Some(c) => format!("# Revoked certificates (wuji ca revoke).\ncrl = \"{}\"\n", c.display()),
                    None => "# Revoked certificates (wuji ca revoke writes crl.pem):\n# crl = \"pki/crl.pem\"\n".to_string(),
                }
            ),
            None => "\n# No [tls]: plaintext dev mode, allowed only when listening on loopback.\n# [tls]\n# ca = \"pki/ca.pem\"\n# cert = \"pki/node.pem\"\n# key = \"pki/node.key\"\n".to_string(),
        };
        format!(
            "# wuji node configuration ({level} congress {code}).\n\
             # Every key can also be set as WUJI_SECTION_KEY in the environment\n\
             # (e.g. WUJI_NODE_LISTEN=0.0.0.0:7700); flags override both.\n\
             \n[node]\n# This congress's division code.\ncode = \"{code}\"\n\
             # Address of the gRPC API (operators' CLI, other systems) and of sync.\nlisten = \"{listen}\"\n\
             # Where the store lives (relative to this file).\ndata_dir = \"{data}\"\n\
             {parent}{tls}\
             \n[sync]\n# How far above the congresses that handle a record its full detail goes:\n\
             # 1 = up to their parents (the level that supervises them), `all` = every\n\
             # level. Above it, records are seen only as counts. The same on every node.\nhorizon = {horizon}\n\
             \n[store]\n# sled page cache in MiB.\ncache_mb = {cache}\n\
             # Most writes applied and flushed together.\nmax_batch = {batch}\n\
             \n[api]\n# Largest gRPC message in bytes.\nmax_message_bytes = {msg}\n\
             # Largest page a list call returns.\nmax_page = {page}\n\
             \n[clock]\n# Refuse changes stamped further than this many ms in the future (30 min:\n# two offices' clocks may each be 10 min off; one hours off is refused).\nmax_ahead_ms = {ahead}\n\
             \n[calendar]\n# Official holiday files (YEAR.toml, as config/holidays/ in the source),\n\
             # read at start; they add to the years shipped with wuji. A year with\n\
             # neither is provisional: statutory days only, and deadlines say so.\ndir = \"{cal}\"\n\
             \n[rules]\n# 办理时限: months from 交办 to the answer.\nanswer_months = {am}\n\
             # Longest approved extension (answer_months + this <= 6).\nmax_extension_months = {ext}\n\
             # Months to answer again after a 不满意 rating.\nrehandle_months = {rh}\n\
             # 退办: working days after 交办 within which a unit may return a suggestion.\nreturn_working_days = {ret}\n\
             # 答复类别: this congress's scheme of answer classes, ABC, ABCD or 甲乙丙.\nanswer_classes = \"{cls}\"\n\
             # Longest title and text, in characters.\nmax_title_chars = {mt}\nmax_text_chars = {mx}\n\
             \n[rules.duty]\n# 常委会组成人员联系代表: deputies each member keeps in touch with (at least,\n\
             # at most), and visits expected under each contact relation a year.\n\
             contact_deputies = [{cd_lo}, {cd_hi}]\ncontact_visits_per_year = {cv}\n\
             \n[rules.duty.points]\n# 履职积分: points for each activity of a kind (this congress's 积分管理办法):\n\
             # reception 接待群众, inspection 视察, research 专题调研, attendance 列席会议,\n\
             # training 培训, contact 联系群众, report 向选民报告履职, other 其他活动.\n{points}\
             \n[rules.duty.targets]\n# 年度履职清单: activities of a kind each deputy is expected to take part in\n\
             # a year (shown against the 履职档案).\n{targets}\
             \n[log]\n# Log lines on standard error: text (colour only on a terminal) or json\n\
             # (one object per line, for a log collector); --log-format overrides it.\nformat = \"{log}\"\n\
             \n[ops]\n# Metrics (/metrics, Prometheus), /healthz and /readyz over plain HTTP for\n\
             # the office's monitoring; see deploy/prometheus/ for alerts.\nenabled = {ops}\n\
             # Loopback unless the monitoring runs elsewhere (it is not behind TLS).\nlisten = \"{ops_listen}\"\n\
             \n[console]\n# The offices' console: web pages over HTTPS with this node's certificate\n\
             # (docs/CONSOLE.md). Accounts: `wuji console account add`.\nenabled = {con}\n\
             # The office intranet's address of this host.\nlisten = \"{con_listen}\"\n\
             # The accounts file (relative to this file).\naccounts = \"{con_acc}\"\n\
             \n[gateway]\n# The client API as JSON over HTTPS and the change feed as Server-Sent\n\
             # Events, for platforms without gRPC (docs/INTEGRATION.md); the same client\n\
             # certificates and roles as the gRPC API.\nenabled = {gw}\nlisten = \"{gw_listen}\"\n",
            level = code.zh(),
            code = self.node.code,
            listen = self.node.listen,
            data = self.node.data_dir.display(),
            horizon = match self.sync.horizon {
                wuji_model::routing::Horizon::All => "\"all\"".to_string(),
                h => h.to_string(),
            },
            cache = self.store.cache_mb,
            batch = self.store.max_batch,
            msg = self.api.max_message_bytes,
            page = self.api.max_page,
            ahead = self.clock.max_ahead_ms,
            cal = self.calendar.dir.display(),
            am = self.rules.answer_months,
            ext = self.rules.max_extension_months,
            rh = self.rules.rehandle_months,
            ret = self.rules.return_working_days,
            cls = self.rules.answer_classes.name(),
            mt = self.rules.max_title_chars,
            mx = self.rules.max_text_chars,
            points = toml_map(&self.rules.duty.points),
            cd_lo = self.rules.duty.contact_deputies.0,
            cd_hi = self.rules.duty.contact_deputies.1,
            cv = self.rules.duty.contact_visits_per_year,
            targets = toml_map(&self.rules.duty.targets),
            log = self.log.format.as_str(),
            ops = self.ops.enabled,
            ops_listen = self.ops.listen,
            con = self.console.enabled,
            con_listen = self.console.listen,
            con_acc = self.console.accounts.display(),
            gw = self.gateway.enabled,
            gw_listen = self.gateway.listen,
        )
    }
}

/// `kind = n` lines of a duty rule map.
fn toml_map(m: &std::collections::BTreeMap<wuji_model::activity::ActivityType, u32>) -> String {
    m.iter()
        .map(|(k, v)| format!("{} = {v}\n", k.en()))
        .collect()
}

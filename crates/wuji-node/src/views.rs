//! What the API shows of a record besides its state: a flat map of derived
//! fields with English keys (status, handler, deadline, overdue, ...), the same
//! for the CLI's tables, its `--json` output and other systems.

use std::collections::BTreeMap;
use wuji_model::Code;
use wuji_model::suggestion::{
    AnswerClass, Direction, Satisfaction, SuggestionKind, UnitRole, view,
};
use wuji_model::{Date, Record, RecordKind, Rules, assignment, supervision};

/// The derived fields of a record as of `today`.
pub fn fields(rec: &Record, rules: &Rules, today: Date) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    m.insert("id".into(), format!("{}:{}", rec.id.home, rec.id.uuid));
    m.insert("home".into(), rec.id.home.to_string());
    match rec.id.kind {
        RecordKind::Deputy => deputy(rec, &mut m),
        RecordKind::Suggestion => suggestion(rec, rules, today, &mut m),
        RecordKind::Assignment => assignment_fields(rec, &mut m),
        RecordKind::Supervision => supervision_fields(rec, &mut m),
        RecordKind::Summary => {}
        RecordKind::Activity => activity_fields(rec, rules, &mut m),
        RecordKind::Vacancy => vacancy_fields(rec, &mut m),
        RecordKind::Seats => {
            if let Some(s) = rec.seats(rec.id.home) {
                put(&mut m, "quota", s.quota.get());
            }
        }
        RecordKind::Directory => entry_fields(rec, &mut m),
        RecordKind::Contact => contact_fields(rec, rules, today, &mut m),
        RecordKind::Calendar => {
            if let Some(y) = wuji_model::published::year_of(rec) {
                put(&mut m, "year", y.year);
                put(&mut m, "source", &y.source);
                put(&mut m, "days_off", y.off.len());
                put(&mut m, "workdays", y.workdays.len());
            }
        }
    }
    m
}

fn put(m: &mut BTreeMap<String, String>, k: &str, v: impl ToString) {
    m.insert(k.to_string(), v.to_string());
}

fn join<T: ToString>(it: impl Iterator<Item = T>) -> String {
    it.map(|x| x.to_string()).collect::<Vec<_>>().join(",")
}

fn opt_date(d: &Option<Date>) -> String {
    d.map(|d| d.to_string()).unwrap_or_default()
}

fn deputy(rec: &Record, m: &mut BTreeMap<String, String>) {
    put(m, "level", rec.id.home.level().en());
    let Some(r) = rec.roster(rec.id.home) else {
        return;
    };
    put(m, "person_id", r.person_id.get());
    put(m, "name", r.name.get());
    put(m, "gender", format!("{:?}", r.gender.get()).to_lowercase());
    put(m, "term", r.term.get());
    put(m, "electoral_unit", r.electoral_unit.get());
    put(m, "delegation", r.delegation.get());
    put(m, "group", r.group.get());
    put(m, "station", r.station.get());
    let st = r.status.0.status;
    put(m, "status", snake(&format!("{st:?}")));
    put(m, "status_zh", st.zh());
    put(m, "attached", join(r.attached.iter()));
    put(m, "phone", r.personal.phone.get());
    put(m, "id_number", r.personal.id_number.get());
    put(m, "address", r.personal.address.get());
    let places: Vec<String> = rec
        .placements()
        .map(|(c, p)| format!("{c}:{}/{}/{}", p.station.get(), p.grid.get(), p.group.get()))
        .collect();
    put(m, "placements", places.join(";"));
}

fn suggestion(rec: &Record, rules: &Rules, today: Date, m: &mut BTreeMap<String, String>) {
    let v = view::view(rec, rules);
    put(m, "status", snake(&format!("{:?}", v.status)));
    put(m, "status_zh", v.status.zh());
    put(m, "handler", v.handler);
    put(m, "round", v.round);
    put(m, "deadline", opt_date(&v.deadline));
    put(m, "deadline_provisional", v.deadline_provisional);
    put(m, "overdue", v.is_overdue(today));
    put(m, "chain", join(view::handling_chain(rec).into_iter()));
    if let Some(a) = v.latest_answer {
        put(
            m,
            "latest_answer",
            format!("{}:{}:{}", a.handler, a.at.hlc.0, a.at.writer.0),
        );
        if let Some(ans) = rec.handling(a.handler).and_then(|h| h.answers.get(&a.at)) {
            put(
                m,
                "answer_class",
                match ans.class {
                    AnswerClass::A => "A",
                    AnswerClass::B => "B",
                    AnswerClass::C => "C",
                    AnswerClass::D => "D",
                },
            );
            put(m, "answer_scheme", ans.scheme.name());
            put(m, "answer_text", &ans.text);
            put(m, "answer_unit", &ans.unit);
            put(m, "promises", ans.promises.join(";"));
        }
    }
    let ledger = wuji_model::suggestion::promises::ledger(rec, today);
    if !ledger.is_empty() {
        use wuji_model::suggestion::promises::PromiseState;
        put(m, "promises_total", ledger.len());
        let open = ledger.iter().filter(|e| e.state != PromiseState::Done);
        put(m, "promises_open", open.count());
        put(
            m,
            "promises_overdue",
            ledger.iter().filter(|e| e.overdue).count(),
        );
    }
    if let Some(r) = v.rating {
        put(
            m,
            "rating",
            match r {
                Satisfaction::Satisfied => "satisfied",
                Satisfaction::Basic => "basic",
                Satisfaction::Dissatisfied => "dissatisfied",
            },
        );
    }
    if let Some(o) = rec.origin(rec.id.home) {
        put(
            m,
            "kind",
            match o.kind.get() {
                SuggestionKind::Suggestion => "suggestion",
                SuggestionKind::BillProposal => "bill_proposal",
                SuggestionKind::CitizenOpinion => "citizen_opinion",
            },
        );
        put(m, "title", o.title.get());
        put(m, "text", o.text.get());
        put(m, "category", o.category.get());
        if let Some(t) = o.from_opinion.get() {
            let op = t.id(rec.id.home);
            put(m, "from_opinion", format!("{}:{}", op.home, op.uuid));
        }
        put(m, "lead", o.lead.get());
        put(m, "cosigners", join(o.cosigners.iter()));
        put(m, "during_session", o.during_session.get());
        put(m, "submitted_on", opt_date(o.submitted_on.get()));
        put(m, "withdrawn_on", opt_date(&o.withdrawn.0));
        put(m, "external_id", o.external_id.get());
    }
    if let Some(h) = rec.handling(v.handler) {
        put(m, "number", h.number.get());
        put(m, "assigned_on", opt_date(h.assigned_on.get()));
        let units = h
            .units
            .iter()
            .map(|u| format!("{}({})", u.name, role(u.role)));
        put(m, "units", join(units));
        put(m, "answers", h.answers.len());
        put(m, "returns", h.returns.len());
        put(m, "co_views", h.co_views.len());
        if let Some(t) = h.merged_into.get() {
            let id = t.id(rec.id.home);
            put(m, "merged_into", format!("{}:{}", id.home, id.uuid));
        }
    }
    put(m, "history", history(rec).join("\n"));
    let sup: Vec<String> = rec
        .supervisions()
        .filter_map(|(c, s)| {
            s.mode
                .get()
                .map(|mode| format!("{c}:{}", snake(&format!("{mode:?}"))))
        })
        .collect();
    put(m, "supervision", sup.join(","));
}

/// Every step of a suggestion, oldest first, one line each:
/// `DATE<TAB>NODE<TAB>EVENT<TAB>DETAIL`, EVENT one of `submitted`,
/// `registered`, `assigned`, `co_view`, `returned`, `extended`, `answered`,
/// `feedback`, `rehandled`, `closed`, `withdrawn`, `merged`, `escalated`,
/// `transferred`, `supervision_note` (the CLI shows the offices' terms and
/// names). Steps that store no date of their own are dated by their stamp.
fn history(rec: &Record) -> Vec<String> {
    let mut ev: Vec<(wuji_crdt::Stamp, String)> = Vec::new();
    let mut add = |at: wuji_crdt::Stamp, on: Date, node: Code, event: &str, detail: String| {
        let detail = detail.replace(['\t', '\n'], " ");
        ev.push((at, format!("{on}\t{node}\t{event}\t{detail}")));
    };
    let home = rec.id.home;
    if let Some(o) = rec.origin(home) {
        if let Some(d) = o.submitted_on.get() {
            add(o.title.at, *d, home, "submitted", o.title.get().clone());
        }
        for (a, f) in o.feedback.iter() {
            if let Some(f) = f.get() {
                let r = snake(&format!("{:?}", f.rating));
                add(
                    f_at(f, a),
                    f.on,
                    home,
                    "feedback",
                    format!("{r} {}", f.comment),
                );
            }
        }
        if let Some(d) = o.withdrawn.0 {
            add(o.at.0, d, home, "withdrawn", String::new());
        }
    }
    for (n, h) in rec.handlings() {
        if let Some(d) = h.registered_on.get() {
            add(h.number.at, *d, n, "registered", h.number.get().clone());
        }
        if let Some(d) = h.assigned_on.get() {
            let units = join(
                h.units
                    .iter()
                    .map(|u| format!("{}({})", u.name, role(u.role))),
            );
            add(h.assigned_on.at, *d, n, "assigned", units);
        }
        for (at, v) in h.co_views.iter() {
            add(*at, v.on, n, "co_view", format!("{}: {}", v.unit, v.text));
        }
        for (at, r) in h.returns.iter() {
            add(
                *at,
                r.on,
                n,
                "returned",
                format!("{}: {}", r.unit, r.reason),
            );
        }
        if *h.extension_months.get() > 0 {
            let at = h.extension_months.at;
            add(
                at,
                stamp_date(at),
                n,
                "extended",
                h.extension_months.get().to_string(),
            );
        }
        for (at, a) in h.answers.iter() {
            let detail = format!("{:?} {} {}: {}", a.class, a.round, a.unit, a.text);
            add(*at, a.on, n, "answered", detail);
        }
        if let Some(d) = h.rehandle_since.get() {
            let round = h.progress.0.round.to_string();
            add(h.rehandle_since.at, *d, n, "rehandled", round);
        }
        if let Some(d) = h.closed_on.get() {
            add(h.closed_on.at, *d, n, "closed", String::new());
        }
        if let Some(t) = h.merged_into.get() {
            let (at, id) = (h.merged_into.at, t.id(home));
            add(
                at,
                stamp_date(at),
                n,
                "merged",
                format!("{}:{}", id.home, id.uuid),
            );
        }
        for (at, f) in h.forwards.iter() {
            let event = match f.direction {
                Direction::Escalate => "escalated",
                Direction::Transfer => "transferred",
            };
            add(*at, f.on, n, event, format!("{} {}", f.to, f.reason));
        }
    }
    for (n, s) in rec.supervisions() {
        for (at, note) in s.notes.iter() {
            add(*at, note.on, n, "supervision_note", note.text.clone());
        }
    }
    ev.sort();
    ev.into_iter().map(|(_, e)| e).collect()
}

/// The date (China Standard Time) of a stamp's physical clock.
fn stamp_date(at: wuji_crdt::Stamp) -> Date {
    let days = ((at.hlc.physical_ms() / 1000) as i64 + 8 * 3600).div_euclid(86_400);
    Date::constant(1970, 1, 1)
        .checked_add(jiff::Span::new().days(days))
        .unwrap_or(Date::constant(1970, 1, 1))
}

fn role(r: UnitRole) -> &'static str {
    match r {
        UnitRole::Lead => "lead",
        UnitRole::Co => "co",
        UnitRole::Separate => "separate",
    }
}

/// Feedback has no stamp of its own in the entry; order it after the answer.
fn f_at(
    _: &wuji_model::suggestion::Feedback,
    a: &wuji_model::suggestion::AnswerRef,
) -> wuji_crdt::Stamp {
    let mut at = a.at;
    at.hlc.0 += 1;
    at
}

fn assignment_fields(rec: &Record, m: &mut BTreeMap<String, String>) {
    if let Some(i) = rec.issue(rec.id.home) {
        put(m, "title", i.title.get());
        put(m, "text", i.text.get());
        put(m, "targets", join(i.targets.iter()));
        put(m, "due_on", opt_date(i.due_on.get()));
        put(m, "issued_on", opt_date(i.issued_on.get()));
    }
    let (done, total) = assignment::done_count(rec);
    put(m, "done", format!("{done}/{total}"));
    let states: Vec<String> = rec
        .responses()
        .map(|(c, r)| format!("{c}:{}", snake(&format!("{:?}", r.state.0))))
        .collect();
    put(m, "responses", states.join(","));
}

fn supervision_fields(rec: &Record, m: &mut BTreeMap<String, String>) {
    if let Some(i) = rec.item(rec.id.home) {
        put(m, "title", i.title.get());
        if let Some(mode) = i.mode.get() {
            put(m, "mode", snake(&format!("{mode:?}")));
        }
        put(m, "lead_supervisor", i.lead_supervisor.get());
        put(m, "covers", join(i.covers.iter()));
        let ms: Vec<String> = i
            .milestones
            .iter()
            .map(|(n, ms)| {
                let done = if ms.done_on.0.is_some() {
                    "done"
                } else {
                    "open"
                };
                format!("{n}:{}({}):{done}", ms.title.get(), ms.weight.get())
            })
            .collect();
        put(m, "milestones", ms.join(";"));
        if let Some(s) = i.suggestion.get() {
            put(m, "suggestion", s);
        }
    }
    let p = supervision::progress_permille(rec);
    put(m, "progress", format!("{}.{}%", p / 10, p % 10));
    put(
        m,
        "reports",
        rec.reports().map(|(_, r)| r.notes.len()).sum::<usize>(),
    );
}

/// `AwaitingRehandling` → `awaiting_rehandling`.
pub fn snake(s: &str) -> String {
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if c.is_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

fn activity_fields(rec: &Record, rules: &Rules, m: &mut BTreeMap<String, String>) {
    let Some(a) = rec.activity(rec.id.home) else {
        return;
    };
    let kind = *a.kind.get();
    put(m, "kind", kind.en());
    put(m, "kind_zh", kind.zh());
    put(m, "title", a.title.get());
    put(m, "held_on", opt_date(a.held_on.get()));
    put(m, "place", a.place.get());
    put(m, "text", a.text.get());
    put(
        m,
        "participants",
        join(
            a.participants
                .iter()
                .map(|p| format!("{}:{}", p.congress, p.person)),
        ),
    );
    put(m, "voided_on", opt_date(&a.voided.0));
    put(m, "points", wuji_model::activity::points(rules, kind));
    if let Some(r) = a.review.get() {
        let (en, zh) = match r {
            Satisfaction::Satisfied => ("satisfied", "满意"),
            Satisfaction::Basic => ("basic", "基本满意"),
            Satisfaction::Dissatisfied => ("dissatisfied", "不满意"),
        };
        put(m, "review", en);
        put(m, "review_zh", zh);
    }
}

fn vacancy_fields(rec: &Record, m: &mut BTreeMap<String, String>) {
    let Some(v) = rec.vacancy(rec.id.home) else {
        return;
    };
    let state = wuji_model::vacancy::state(rec);
    put(m, "person_id", v.person.get());
    put(m, "name", v.name.get());
    put(m, "electoral_unit", v.electoral_unit.get());
    put(m, "ground", v.ground.get().en());
    put(m, "ground_zh", v.ground.get().zh());
    put(m, "vacated_on", opt_date(v.vacated_on.get()));
    put(m, "election_on", opt_date(v.election_on.get()));
    put(m, "filled_by", v.filled_by.get());
    put(m, "filled_on", opt_date(&v.filled_on.0));
    put(m, "state", state.en());
    put(m, "state_zh", state.zh());
}

fn entry_fields(rec: &Record, m: &mut BTreeMap<String, String>) {
    let Some(e) = rec.directory(rec.id.home) else {
        return;
    };
    put(m, "kind", e.kind.get().en());
    put(m, "kind_zh", e.kind.get().zh());
    put(m, "name", e.name.get());
    put(m, "location", e.address.get());
    put(m, "detail", e.detail.get());
    put(m, "leader", e.leader.get());
    put(
        m,
        "members",
        join(
            e.members
                .iter()
                .map(|p| format!("{}:{}", p.congress, p.person)),
        ),
    );
    put(m, "member_count", e.members.len());
    put(m, "closed_on", opt_date(&e.closed.0));
}

fn contact_fields(rec: &Record, rules: &Rules, today: Date, m: &mut BTreeMap<String, String>) {
    let Some(c) = rec.contact(rec.id.home) else {
        return;
    };
    put(m, "kind", c.kind.get().en());
    put(m, "kind_zh", c.kind.get().zh());
    put(m, "keeper", c.keeper.get());
    put(m, "community", c.community.get());
    put(
        m,
        "members",
        join(
            c.linked
                .iter()
                .map(|p| format!("{}:{}", p.congress, p.person)),
        ),
    );
    let visits: Vec<String> = c
        .visits
        .iter()
        .map(|(_, n)| format!("{} {}", n.on, n.text))
        .collect();
    put(m, "visits", visits.join("\n"));
    put(m, "ended_on", opt_date(&c.ended.0));
    if let Some(s) = wuji_model::contact::standing(rec, rules, today.year()) {
        put(m, "member_count", s.linked);
        put(m, "visits_this_year", s.visits);
        put(m, "on_target", s.on_target);
    }
}

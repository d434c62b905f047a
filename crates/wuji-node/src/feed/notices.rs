//! The notices of the change feed: what arrived at a node, found from a
//! record's state before and after a batch (the committer keeps them in the
//! batch's log entry), and the day's reminders of the deadlines the node must
//! meet, counted in working days (the sweep keeps them in an entry of their
//! own, once a day).

use wuji_division::Code;
use wuji_model::calendar::Calendar;
use wuji_model::suggestion::view::{self, Status};
use wuji_model::{Date, Record, RecordKind, Rules, assignment};
use wuji_proto::{pb, record_id_to_pb};

/// A deadline within this many working days is 临期.
pub const DUE_SOON_WORKING_DAYS: i32 = 15;

/// The kinds of notice.
pub const ARRIVED: &str = "arrived";
/// 临期.
pub const DUE_SOON: &str = "due_soon";
/// 超期.
pub const OVERDUE: &str = "overdue";

fn notice(kind: &str, rec: &Record, what: &str, on: Date) -> pb::Notice {
    pb::Notice {
        kind: kind.into(),
        record: Some(record_id_to_pb(rec.id)),
        what: what.into(),
        on: on.to_string(),
        ..pb::Notice::default()
    }
}

/// What arrived at `node` with this change of a record (`before` is the state
/// held before the batch): a suggestion that is handled here now and was not
/// (escalated from below or transferred from elsewhere), an assignment that
/// names this node as a target and did not before.
pub fn arrival(
    node: Code,
    before: Option<&Record>,
    now: &Record,
    today: Date,
) -> Option<pb::Notice> {
    match now.id.kind {
        RecordKind::Suggestion => {
            let handler = view::current_handler(now);
            if handler != node || now.id.home == node {
                return None;
            }
            if before.is_some_and(|b| view::current_handler(b) == node) {
                return None;
            }
            // The node whose forward made this node the handler.
            let from = now
                .handlings()
                .flat_map(|(owner, h)| h.forwards.iter().map(move |(at, f)| (*at, owner, f.to)))
                .filter(|(_, _, to)| *to == node)
                .max_by_key(|(at, _, _)| *at)
                .map(|(_, owner, _)| owner);
            let what = match from {
                Some(f) if node.contains(f) => "escalated",
                _ => "transferred",
            };
            let mut n = notice(ARRIVED, now, what, today);
            n.from = from.map(|c| c.value()).unwrap_or(0);
            Some(n)
        }
        RecordKind::Assignment => {
            let named = |r: &Record| {
                r.issue(r.id.home)
                    .is_some_and(|i| i.targets.iter().any(|t| *t == node))
            };
            if now.id.home == node || !named(now) || before.is_some_and(named) {
                return None;
            }
            let mut n = notice(ARRIVED, now, "assignment", today);
            n.from = now.id.home.value();
            Some(n)
        }
        _ => None,
    }
}

/// The reminder of a deadline on `today`, if it is 临期 or 超期.
fn reminder(
    rec: &Record,
    what: &str,
    deadline: Date,
    today: Date,
    calendar: &Calendar,
) -> Option<pb::Notice> {
    let days = if today <= deadline {
        calendar.working_days_between(today, deadline) as i32
    } else {
        -(calendar.working_days_between(deadline, today) as i32)
    };
    let kind = if today > deadline {
        OVERDUE
    } else if days <= DUE_SOON_WORKING_DAYS {
        DUE_SOON
    } else {
        return None;
    };
    let mut n = notice(kind, rec, what, today);
    n.deadline = deadline.to_string();
    n.working_days = days;
    Some(n)
}

/// The reminder `node` owes on `today` for one record it holds: a suggestion
/// it handles whose 答复期限 runs (办理中), or an assignment that names it as
/// a target and that it has not reported done.
pub fn due(
    node: Code,
    rec: &Record,
    today: Date,
    rules: &Rules,
    calendar: &Calendar,
) -> Option<pb::Notice> {
    match rec.id.kind {
        RecordKind::Suggestion => {
            let v = view::view(rec, rules);
            if v.handler != node || v.status != Status::Assigned {
                return None;
            }
            reminder(rec, "suggestion", v.deadline?, today, calendar)
        }
        RecordKind::Assignment => {
            let issue = rec.issue(rec.id.home)?;
            if !issue.targets.iter().any(|t| *t == node) {
                return None;
            }
            let done = rec
                .response(node)
                .is_some_and(|r| r.state.0 == assignment::ResponseState::Done);
            if done {
                return None;
            }
            reminder(rec, "assignment", (*issue.due_on.get())?, today, calendar)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn due_soon_is_fifteen_working_days_and_overdue_counts_back() {
        let cal = Calendar::builtin();
        let rec = Record::new(wuji_model::RecordId {
            kind: RecordKind::Assignment,
            home: Code::from_value(320_000).unwrap(),
            uuid: wuji_model::Uuid::nil(),
        });
        // 2026-12-01 (Tue) + 15 working days = 2026-12-22 (Tue).
        let today = date(2026, 12, 1);
        let n = reminder(&rec, "assignment", date(2026, 12, 22), today, &cal).unwrap();
        assert_eq!((n.kind.as_str(), n.working_days), (DUE_SOON, 15));
        assert!(reminder(&rec, "assignment", date(2026, 12, 23), today, &cal).is_none());
        let n = reminder(&rec, "assignment", today, today, &cal).unwrap();
        assert_eq!((n.kind.as_str(), n.working_days), (DUE_SOON, 0));
        // Past it: 2026-11-27 (Fri) to 12-01 (Tue) is two working days.
        let n = reminder(&rec, "assignment", date(2026, 11, 27), today, &cal).unwrap();
        assert_eq!((n.kind.as_str(), n.working_days), (OVERDUE, -2));
        assert_eq!(
            (n.on.as_str(), n.deadline.as_str()),
            ("2026-12-01", "2026-11-27")
        );
    }
}

//! Records, their ids, and the sections they are made of; merge of whole records.

use crate::activity::ActivitySection;
use crate::assignment::{Issue, Response};
use crate::contact::ContactSection;
use crate::deputy::{Placement, Roster};
use crate::directory::EntrySection;
use crate::published::CalendarSection;
use crate::suggestion::{Handling, Origin, SuggestionSupervision};
use crate::summary::SummarySection;
use crate::supervision::{ItemReport, ItemSection};
use crate::vacancy::{SeatsSection, VacancySection};
use std::collections::BTreeMap;
use uuid::Uuid;
use wuji_crdt::{Merge, Stamp};
use wuji_division::Code;

/// The kinds of record that replicate between congresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RecordKind {
    /// 代表: a deputy of one congress.
    Deputy,
    /// 建议 / 议案 / 群众意见: a suggestion and its handling.
    Suggestion,
    /// 交办: a task handed down by a higher congress.
    Assignment,
    /// 督办 item: key supervision of suggestions, or a livelihood project (民生实事).
    Supervision,
    /// A node's summary of its subtree, published upwards.
    Summary,
    /// An official holiday calendar of one year, published by the national
    /// node to every node.
    Calendar,
    /// 履职活动: a deputy activity, recorded by the node that organised it.
    Activity,
    /// 出缺: a vacant seat of a congress and its 补选.
    Vacancy,
    /// 名录: a 家站点, 代表小组, 网格 or 承办单位 a congress keeps.
    Directory,
    /// 三联: a contact relation a congress sets up, with its visits.
    Contact,
    /// 代表名额: a congress's seats, one record per congress.
    Seats,
}

impl RecordKind {
    /// Every kind.
    pub const ALL: [RecordKind; 11] = [
        RecordKind::Deputy,
        RecordKind::Suggestion,
        RecordKind::Assignment,
        RecordKind::Supervision,
        RecordKind::Summary,
        RecordKind::Calendar,
        RecordKind::Activity,
        RecordKind::Vacancy,
        RecordKind::Directory,
        RecordKind::Contact,
        RecordKind::Seats,
    ];
}

/// The identity of a record: its kind, its home node and a UUIDv7 made there.
///
/// The home is the origin of a suggestion, the electing congress of a deputy, the
/// issuer of an assignment or supervision item, and the node of a summary. It is
/// part of the identity, so it can never change and authority can rely on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RecordId {
    /// What kind of record.
    pub kind: RecordKind,
    /// The node it belongs to.
    pub home: Code,
    /// UUIDv7 made at the home node.
    pub uuid: Uuid,
}

/// What a section is for; with the owner it forms the [`SectionKey`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Deputy roster entry, written by the electing congress.
    Roster,
    /// Deputy placement (station, grid, group), written by the node that runs it.
    Placement,
    /// Suggestion origin, written where it was submitted.
    Origin,
    /// Suggestion handling, written by each node in the handling chain.
    Handling,
    /// Supervision of a suggestion, written by a node whose region contains it.
    Supervision,
    /// Assignment as issued, written by the issuer.
    Issue,
    /// Assignment response (acknowledgement, reports), written by a target.
    Response,
    /// Supervision item, written by the supervising node.
    Item,
    /// Progress report on a supervision item, written by a covered node.
    Report,
    /// Node summary, written by the node.
    Summary,
    /// A published holiday calendar, written by the national node.
    Calendar,
    /// A deputy activity, written by the organising node.
    Activity,
    /// A vacant seat, written by the congress whose seat it is.
    Vacancy,
    /// An entry of a congress's register, written by that congress.
    Directory,
    /// A contact relation, written by the congress that set it up.
    Contact,
    /// A congress's seats, written by that congress.
    Seats,
}

impl Role {
    /// The record kind this role belongs to.
    pub fn kind(self) -> RecordKind {
        match self {
            Role::Roster | Role::Placement => RecordKind::Deputy,
            Role::Origin | Role::Handling | Role::Supervision => RecordKind::Suggestion,
            Role::Issue | Role::Response => RecordKind::Assignment,
            Role::Item | Role::Report => RecordKind::Supervision,
            Role::Summary => RecordKind::Summary,
            Role::Calendar => RecordKind::Calendar,
            Role::Activity => RecordKind::Activity,
            Role::Vacancy => RecordKind::Vacancy,
            Role::Directory => RecordKind::Directory,
            Role::Contact => RecordKind::Contact,
            Role::Seats => RecordKind::Seats,
        }
    }

    /// True for roles that only the home node writes (one per record).
    pub fn is_home_only(self) -> bool {
        matches!(
            self,
            Role::Roster
                | Role::Origin
                | Role::Issue
                | Role::Item
                | Role::Summary
                | Role::Calendar
                | Role::Activity
                | Role::Vacancy
                | Role::Directory
                | Role::Contact
                | Role::Seats
        )
    }
}

/// Which section: its role and the node that owns (and alone writes) it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SectionKey {
    /// What it is for.
    pub role: Role,
    /// Who writes it.
    pub owner: Code,
}

/// One section's content; the variant follows from the role.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Section {
    Roster(Roster),
    Placement(Placement),
    Origin(Origin),
    Handling(Handling),
    Supervision(SuggestionSupervision),
    Issue(Issue),
    Response(Response),
    Item(ItemSection),
    Report(ItemReport),
    Summary(SummarySection),
    Calendar(CalendarSection),
    Activity(ActivitySection),
    Vacancy(VacancySection),
    Directory(EntrySection),
    Contact(ContactSection),
    Seats(SeatsSection),
}

macro_rules! each_section {
    ($s:expr, $v:ident => $e:expr) => {
        match $s {
            Section::Roster($v) => $e,
            Section::Placement($v) => $e,
            Section::Origin($v) => $e,
            Section::Handling($v) => $e,
            Section::Supervision($v) => $e,
            Section::Issue($v) => $e,
            Section::Response($v) => $e,
            Section::Item($v) => $e,
            Section::Report($v) => $e,
            Section::Summary($v) => $e,
            Section::Calendar($v) => $e,
            Section::Activity($v) => $e,
            Section::Vacancy($v) => $e,
            Section::Directory($v) => $e,
            Section::Contact($v) => $e,
            Section::Seats($v) => $e,
        }
    };
}

impl Section {
    /// The role this content plays.
    pub fn role(&self) -> Role {
        match self {
            Section::Roster(_) => Role::Roster,
            Section::Placement(_) => Role::Placement,
            Section::Origin(_) => Role::Origin,
            Section::Handling(_) => Role::Handling,
            Section::Supervision(_) => Role::Supervision,
            Section::Issue(_) => Role::Issue,
            Section::Response(_) => Role::Response,
            Section::Item(_) => Role::Item,
            Section::Report(_) => Role::Report,
            Section::Summary(_) => Role::Summary,
            Section::Calendar(_) => Role::Calendar,
            Section::Activity(_) => Role::Activity,
            Section::Vacancy(_) => Role::Vacancy,
            Section::Directory(_) => Role::Directory,
            Section::Contact(_) => Role::Contact,
            Section::Seats(_) => Role::Seats,
        }
    }

    /// When the owner last wrote this section (the envelope's clock).
    pub fn written_at(&self) -> Stamp {
        each_section!(self, s => s.at.0)
    }
}

impl Merge for Section {
    fn merge(&mut self, other: &Self) {
        match (self, other) {
            (Section::Roster(a), Section::Roster(b)) => a.merge(b),
            (Section::Placement(a), Section::Placement(b)) => a.merge(b),
            (Section::Origin(a), Section::Origin(b)) => a.merge(b),
            (Section::Handling(a), Section::Handling(b)) => a.merge(b),
            (Section::Supervision(a), Section::Supervision(b)) => a.merge(b),
            (Section::Issue(a), Section::Issue(b)) => a.merge(b),
            (Section::Response(a), Section::Response(b)) => a.merge(b),
            (Section::Item(a), Section::Item(b)) => a.merge(b),
            (Section::Report(a), Section::Report(b)) => a.merge(b),
            (Section::Summary(a), Section::Summary(b)) => a.merge(b),
            (Section::Calendar(a), Section::Calendar(b)) => a.merge(b),
            (Section::Activity(a), Section::Activity(b)) => a.merge(b),
            (Section::Vacancy(a), Section::Vacancy(b)) => a.merge(b),
            (Section::Directory(a), Section::Directory(b)) => a.merge(b),
            (Section::Contact(a), Section::Contact(b)) => a.merge(b),
            (Section::Seats(a), Section::Seats(b)) => a.merge(b),
            // The role is part of the key, so two contents under one key always
            // have the same variant; a mismatch cannot be merged and is ignored.
            _ => {}
        }
    }
}

/// A record: its id and its sections. A delta is a record holding only the
/// sections that changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Identity.
    pub id: RecordId,
    sections: BTreeMap<SectionKey, Section>,
}

impl Record {
    /// A record with no sections yet.
    pub fn new(id: RecordId) -> Record {
        Record {
            id,
            sections: BTreeMap::new(),
        }
    }

    /// A record holding one section: the delta a single write produces.
    pub fn delta(id: RecordId, owner: Code, section: Section) -> Record {
        let mut r = Record::new(id);
        r.put(owner, section);
        r
    }

    /// Merges `section` into the section `owner` holds in this role.
    pub fn put(&mut self, owner: Code, section: Section) {
        let key = SectionKey {
            role: section.role(),
            owner,
        };
        match self.sections.get_mut(&key) {
            Some(mine) => mine.merge(&section),
            None => {
                self.sections.insert(key, section);
            }
        }
    }

    /// The section under `key`.
    pub fn get(&self, key: SectionKey) -> Option<&Section> {
        self.sections.get(&key)
    }

    /// Removes and returns the section under `key`.
    pub fn take(&mut self, key: SectionKey) -> Option<Section> {
        self.sections.remove(&key)
    }

    /// Every section in key order.
    pub fn sections(&self) -> impl Iterator<Item = (&SectionKey, &Section)> {
        self.sections.iter()
    }

    /// Mutable access for routing's field stripping.
    pub(crate) fn sections_mut(&mut self) -> impl Iterator<Item = (&SectionKey, &mut Section)> {
        self.sections.iter_mut()
    }

    /// The sections of one role, with their owners.
    pub fn role(&self, role: Role) -> impl Iterator<Item = (Code, &Section)> {
        self.sections
            .iter()
            .filter(move |(k, _)| k.role == role)
            .map(|(k, s)| (k.owner, s))
    }

    /// How many sections.
    pub fn len(&self) -> usize {
        self.sections.len()
    }

    /// True if there are no sections.
    pub fn is_empty(&self) -> bool {
        self.sections.is_empty()
    }
}

impl Merge for Record {
    /// Section-wise merge. Records with different ids are never merged (the
    /// store keys records by id); `other` is then ignored.
    fn merge(&mut self, other: &Self) {
        if self.id != other.id {
            return;
        }
        for (k, s) in &other.sections {
            self.put(k.owner, s.clone());
        }
    }
}

/// Typed access to a record's sections of one role.
macro_rules! typed_sections {
    ($fn_one:ident, $fn_all:ident, $variant:ident, $ty:ty) => {
        impl Record {
            #[doc = concat!("The `", stringify!($variant), "` section written by `owner`.")]
            pub fn $fn_one(&self, owner: Code) -> Option<&$ty> {
                match self.get(SectionKey {
                    role: Role::$variant,
                    owner,
                }) {
                    Some(Section::$variant(s)) => Some(s),
                    _ => None,
                }
            }

            #[doc = concat!("Every `", stringify!($variant), "` section, with its owner.")]
            pub fn $fn_all(&self) -> impl Iterator<Item = (Code, &$ty)> {
                self.role(Role::$variant).filter_map(|(c, s)| match s {
                    Section::$variant(x) => Some((c, x)),
                    _ => None,
                })
            }
        }
    };
}
typed_sections!(roster, rosters, Roster, Roster);
typed_sections!(placement, placements, Placement, Placement);
typed_sections!(origin, origins, Origin, Origin);
typed_sections!(handling, handlings, Handling, Handling);
typed_sections!(
    supervision,
    supervisions,
    Supervision,
    SuggestionSupervision
);
typed_sections!(issue, issues, Issue, Issue);
typed_sections!(response, responses, Response, Response);
typed_sections!(item, items, Item, ItemSection);
typed_sections!(report, reports, Report, ItemReport);
typed_sections!(summary, summaries, Summary, SummarySection);
typed_sections!(calendar, calendars, Calendar, CalendarSection);
typed_sections!(activity, activities, Activity, ActivitySection);
typed_sections!(vacancy, vacancies, Vacancy, VacancySection);
typed_sections!(directory, directories, Directory, EntrySection);
typed_sections!(contact, contacts, Contact, ContactSection);
typed_sections!(seats, seat_tables, Seats, SeatsSection);

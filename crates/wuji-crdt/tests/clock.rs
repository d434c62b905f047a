//! Property tests of the hybrid logical clock: readings strictly increase whatever
//! wall time does, follow every remote reading observed, and a refused remote
//! reading leaves the clock untouched.

use proptest::prelude::*;
use wuji_crdt::{Hlc, HlcClock};

#[derive(Debug, Clone)]
enum Event {
    Tick(u64),
    Observe {
        remote_ms: u64,
        counter: u16,
        wall: u64,
    },
}

fn event() -> impl Strategy<Value = Event> {
    prop_oneof![
        (0u64..10_000).prop_map(Event::Tick),
        (0u64..20_000, any::<u16>(), 0u64..10_000).prop_map(|(remote_ms, counter, wall)| {
            Event::Observe {
                remote_ms,
                counter,
                wall,
            }
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4_000))]

    #[test]
    fn readings_strictly_increase_and_follow_remotes(events in proptest::collection::vec(event(), 1..60)) {
        let limit = 3_000;
        let mut clock = HlcClock::new(limit);
        let mut last = Hlc::default();
        for e in events {
            match e {
                Event::Tick(wall) => {
                    let t = clock.tick(wall).unwrap();
                    prop_assert!(t > last);
                    prop_assert!(t.physical_ms() >= wall, "a tick never falls behind wall time");
                    last = t;
                }
                Event::Observe { remote_ms, counter, wall } => {
                    let remote = Hlc::new(remote_ms, counter).unwrap();
                    let before = clock.last();
                    match clock.observe(remote, wall) {
                        Ok(t) => {
                            prop_assert!(t > last && t > remote);
                            last = t;
                        }
                        Err(e) => {
                            prop_assert!(remote_ms > wall + limit, "{e}");
                            prop_assert_eq!(clock.last(), before);
                        }
                    }
                }
            }
        }
    }
}

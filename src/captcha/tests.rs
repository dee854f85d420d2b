//! The challenge store: answers, strikes, lock-outs and forgetting, on a fixed clock.

use super::*;
use time::macros::datetime;

const T0: OffsetDateTime = datetime!(2026-03-01 12:00 UTC);
const IP: &str = "203.0.113.7";

fn at(secs: i64) -> OffsetDateTime {
    T0 + Duration::seconds(secs)
}

fn limits() -> Limits {
    Limits {
        max_attempts: 3,
        lockout_seconds: 300,
    }
}

fn answer(c: &Captchas, id: &str) -> String {
    c.peek_answer(id).expect("live challenge")
}

#[test]
fn a_right_answer_passes_once_ignoring_case_and_spaces() {
    let c = Captchas::default();
    let id = c.issue(T0);
    let typed = format!("  {} ", answer(&c, &id).to_lowercase());
    assert_eq!(c.check(IP, &id, &typed, &limits(), at(5)), Ok(()));
    assert_eq!(
        c.check(IP, &id, &typed, &limits(), at(6)),
        Err(CaptchaError::Expired),
        "single use"
    );
    assert!(c.png(&id, at(6)).is_none());
    assert!(c
        .check(IP, &id, &typed, &limits(), at(7))
        .unwrap_err()
        .message()
        .contains("expired or was already used"));
}

#[test]
fn a_wrong_answer_also_uses_the_challenge_up() {
    let c = Captchas::default();
    let id = c.issue(T0);
    let right = answer(&c, &id);
    assert_eq!(
        c.check(IP, &id, "nope", &limits(), at(1)),
        Err(CaptchaError::Wrong { attempts_left: 2 })
    );
    assert_eq!(
        c.check(IP, &id, &right, &limits(), at(2)),
        Err(CaptchaError::Expired)
    );
}

#[test]
fn a_challenge_lives_ten_minutes() {
    let c = Captchas::default();
    let id = c.issue(T0);
    let other = c.issue(T0);
    assert!(c.png(&id, at(LIFETIME_SECS - 1)).is_some());
    assert!(c.png(&id, at(LIFETIME_SECS)).is_none());
    let right = answer(&c, &id);
    assert_eq!(
        c.check(IP, &id, &right, &limits(), at(LIFETIME_SECS)),
        Err(CaptchaError::Expired)
    );
    let right = answer(&c, &other);
    assert_eq!(
        c.check(IP, &other, &right, &limits(), at(LIFETIME_SECS - 1)),
        Ok(())
    );
}

#[test]
fn unknown_ids_are_refused_and_not_counted_as_wrong() {
    let c = Captchas::default();
    for i in 0..10 {
        assert_eq!(
            c.check(IP, "made-up", "ABCDE", &limits(), at(i)),
            Err(CaptchaError::Expired)
        );
    }
    assert_eq!(c.locked(IP, at(10)), None);
}

#[test]
fn max_attempts_wrong_answers_lock_the_client_until_the_lockout_ends() {
    let c = Captchas::default();
    let l = limits();
    for (i, left) in [(0, 2), (1, 1)] {
        let id = c.issue(at(i));
        assert_eq!(
            c.check(IP, &id, "WRONG", &l, at(i)),
            Err(CaptchaError::Wrong {
                attempts_left: left
            })
        );
    }
    let id = c.issue(at(10));
    let err = c.check(IP, &id, "WRONG", &l, at(10)).unwrap_err();
    assert_eq!(err, CaptchaError::Locked { retry_after: 300 });
    assert_eq!(
        err.message(),
        "Too many wrong answers. Try again in 5 minutes."
    );

    // Locked: even the right answer is refused, and the challenge is used up.
    let id = c.issue(at(70));
    let right = answer(&c, &id);
    let err = c.check(IP, &id, &right, &l, at(70)).unwrap_err();
    assert_eq!(err, CaptchaError::Locked { retry_after: 240 });
    assert_eq!(
        err.message(),
        "Too many wrong answers. Try again in 4 minutes."
    );
    assert!(c.peek_answer(&id).is_none());
    assert_eq!(c.locked(IP, at(265)), Some(45));
    assert_eq!(
        CaptchaError::Locked { retry_after: 45 }.message(),
        "Too many wrong answers. Try again in 45 seconds."
    );
    assert_eq!(c.locked("198.51.100.1", at(70)), None, "others are free");

    // After the lock-out the count starts again from zero.
    assert_eq!(c.locked(IP, at(310)), None);
    let id = c.issue(at(310));
    assert_eq!(
        c.check(IP, &id, "WRONG", &l, at(310)),
        Err(CaptchaError::Wrong { attempts_left: 2 })
    );
    let id = c.issue(at(311));
    let right = answer(&c, &id);
    assert_eq!(c.check(IP, &id, &right, &l, at(311)), Ok(()));
}

#[test]
fn a_right_answer_resets_the_count() {
    let c = Captchas::default();
    let l = limits();
    let wrong = |t| {
        let id = c.issue(at(t));
        c.check(IP, &id, "WRONG", &l, at(t))
    };
    assert_eq!(wrong(0), Err(CaptchaError::Wrong { attempts_left: 2 }));
    assert_eq!(wrong(1), Err(CaptchaError::Wrong { attempts_left: 1 }));
    let id = c.issue(at(2));
    let right = answer(&c, &id);
    assert_eq!(c.check(IP, &id, &right, &l, at(2)), Ok(()));
    let id = c.issue(at(3));
    assert_eq!(
        c.check(IP, &id, "WRONG", &l, at(3)),
        Err(CaptchaError::Wrong { attempts_left: 2 })
    );
}

#[test]
fn wrong_answers_older_than_a_lockout_are_forgotten() {
    let c = Captchas::default();
    let l = limits();
    for t in [0, 1] {
        let id = c.issue(at(t));
        assert!(c.check(IP, &id, "WRONG", &l, at(t)).is_err());
    }
    let id = c.issue(at(301));
    assert_eq!(
        c.check(IP, &id, "WRONG", &l, at(301)),
        Err(CaptchaError::Wrong { attempts_left: 2 })
    );
}

#[test]
fn an_ipv6_client_is_its_slash_64() {
    let c = Captchas::default();
    let l = Limits {
        max_attempts: 2,
        lockout_seconds: 60,
    };
    for (i, ip) in ["2001:db8:1:2::a", "2001:db8:1:2:ffff::b"]
        .iter()
        .enumerate()
    {
        let id = c.issue(T0);
        let _ = c.check(ip, &id, "WRONG", &l, at(i as i64));
    }
    assert_eq!(c.locked("2001:db8:1:2::99", at(2)), Some(59));
    assert_eq!(c.locked("2001:db8:1:3::a", at(2)), None);
    assert_eq!(client_key("::ffff:192.0.2.1"), "192.0.2.1");
}

#[test]
fn memory_is_bounded_expired_first_then_oldest() {
    let c = Captchas::default();
    let first = c.issue(T0);
    let second = c.issue(at(1));
    for _ in 2..MAX_CHALLENGES {
        c.issue(at(2));
    }
    assert_eq!(c.lock().challenges.len(), MAX_CHALLENGES);
    let newest = c.issue(at(3));
    assert!(
        c.peek_answer(&first).is_none(),
        "oldest dropped over the cap"
    );
    assert!(c.peek_answer(&second).is_some());
    assert!(c.peek_answer(&newest).is_some());
    assert_eq!(c.lock().challenges.len(), MAX_CHALLENGES);

    // Once they expire, the next issue drops them all.
    c.issue(at(LIFETIME_SECS + 3));
    let inner = c.lock();
    assert_eq!((inner.challenges.len(), inner.order.len()), (1, 1));
}

#[test]
fn a_full_client_table_forgets_idle_clients_but_keeps_locks() {
    let strikes = |last: i64, locked: Option<i64>| Strikes {
        wrong: 1,
        last_wrong: Some(at(last)),
        locked_until: locked.map(at),
    };
    let mut clients = HashMap::from([
        ("idle".to_string(), strikes(0, None)),
        ("recent".to_string(), strikes(900, None)),
        ("locked".to_string(), strikes(0, Some(2000))),
    ]);
    forget_idle(&mut clients, &limits(), at(1000));
    let mut left: Vec<&str> = clients.keys().map(String::as_str).collect();
    left.sort();
    assert_eq!(left, ["locked", "recent"]);
}

#[test]
fn errors_map_to_429_with_retry_after_or_422() {
    match (CaptchaError::Locked { retry_after: 240 }).into_app_error() {
        AppError::TooManyRequests {
            retry_after,
            message,
        } => {
            assert_eq!(retry_after, 240);
            assert!(message.contains("4 minutes"));
        }
        other => panic!("{other:?}"),
    }
    let e = CaptchaError::Wrong { attempts_left: 1 }.into_app_error();
    assert_eq!(e.status().code, 422);
    assert!(e.to_string().contains("1 attempt left"), "{e}");
    assert_eq!(CaptchaError::Expired.into_app_error().status().code, 422);
}

#[test]
fn settings_come_from_the_database_with_the_policy_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let db = crate::db::Db::open(&dir.path().join("shop.db")).unwrap();
    let key = crate::secret::Secret::load_or_create(&dir.path().join("secret.key")).unwrap();
    let read = || db.read_blocking(settings).unwrap();
    assert_eq!(read(), (true, Limits::default()));
    db.write_blocking(|c| {
        crate::settings::set(c, &key, "captcha.enabled", "false")?;
        crate::settings::set(c, &key, "captcha.max_attempts", "5")?;
        crate::settings::set(c, &key, "captcha.lockout_seconds", "60")?;
        Ok(())
    })
    .unwrap();
    assert_eq!(
        read(),
        (
            false,
            Limits {
                max_attempts: 5,
                lockout_seconds: 60
            }
        )
    );
}

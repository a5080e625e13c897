use super::*;

fn load(text: &str) -> Result<Scenario, InputErrors> {
    let source = Source {
        name: "t.toml".into(),
        text: text.into(),
        dir: None,
    };
    Scenario::load(&source, &Overrides::default())
}

const MINIMAL: &str = "name = \"t\"\n[[placement]]\nname = \"a\"\nstrategy = \"explicit\"\nallocation = { \"Gorontalo\" = 2 }\n";

#[test]
fn embedded_defaults_resolve_every_key() {
    let s = load(MINIMAL).unwrap();
    assert_eq!(s.design.flock.hens_per_kube, 500);
    assert_eq!(s.design.kube.members, 10);
    assert_eq!(s.world.weeks, 260);
    assert_eq!(s.ensemble.replicates, 200);
    assert_eq!(s.ensemble.mode, Mode::Stochastic);
    let gorontalo = s.world.regions.find("Gorontalo").unwrap();
    assert_eq!(s.placements[0].kubes_per_region[gorontalo.index()], 2);
    assert_eq!(s.placements[0].total_kubes(), 2);
    // Every key of every table is in the defaults.
    let tables = [
        "market",
        "flock",
        "kube",
        "household",
        "program",
        "stochastic",
    ];
    for (section, keys) in keys::PARAM_TABLES {
        assert!(tables.contains(&section));
        for k in keys {
            let key = format!("{section}.{}", k.name);
            let r = s.resolved.iter().find(|r| r.key == key).unwrap();
            assert_eq!(r.origin, Origin::Default, "{key}");
        }
    }
}

#[test]
fn embedded_default_scenario_is_valid() {
    let s = Scenario::load(&Source::builtin_default(), &Overrides::default()).unwrap();
    assert!(s.placements.len() >= 4);
    assert!(s.placements.iter().all(|p| p.total_kubes() == 300));
}

#[test]
fn unknown_keys_name_the_line_and_the_closest_key() {
    let e = load(&format!("{MINIMAL}[flock]\nhens_per_kub = 3\n")).unwrap_err();
    assert_eq!(e.0.len(), 1);
    let text = e.0[0].to_string();
    assert!(
        text.starts_with("t.toml:7:1: flock.hens_per_kub: unknown key `hens_per_kub` (did you mean `hens_per_kube`?)"),
        "{text}"
    );
    assert!(text.contains("7 | hens_per_kub = 3"), "{text}");
    // A key in the wrong table is sent to its own.
    let e = load(&format!("{MINIMAL}[flock]\nmembers = 3\n")).unwrap_err();
    assert!(e.to_string().contains("(it belongs in [kube])"), "{e}");
}

#[test]
fn a_type_error_names_its_key() {
    let e = load(&format!("weeks = \"fifty\"\n{MINIMAL}")).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("t.toml:1:9: weeks: expected a whole number, found text \"fifty\""),
        "{e}"
    );
    let e = load(&format!("{MINIMAL}[flock]\nhens_per_kube = \"many\"\n")).unwrap_err();
    assert!(
        e.to_string().starts_with(
            "t.toml:7:17: flock.hens_per_kube: expected a whole number, found text \"many\""
        ),
        "{e}"
    );
}

#[test]
fn all_range_errors_are_reported_together() {
    let e = load(&format!(
        "{MINIMAL}[kube]\nretain_share = 2\nmembers = 0\n[market]\ndemand_season = [1, 1]\n"
    ))
    .unwrap_err();
    let text = e.to_string();
    assert!(
        text.contains("t.toml:7:16: kube.retain_share: 2 is out of range"),
        "{text}"
    );
    assert!(
        text.contains("t.toml:8:11: kube.members: 0 is out of range"),
        "{text}"
    );
    assert!(
        text.contains("t.toml:10:17: market.demand_season: has 2 values"),
        "{text}"
    );
}

#[test]
fn dates_must_be_mondays() {
    let e = load(&format!("start_date = \"2020-01-07\"\n{MINIMAL}")).unwrap_err();
    assert!(
        e.to_string()
            .contains("2020-01-07 is a Tue; weeks start on a Monday (e.g. 2020-01-06)"),
        "{e}"
    );
    let s = load(&format!("start_date = 2020-01-13\n{MINIMAL}")).unwrap();
    assert_eq!(
        s.world.start_date,
        NaiveDate::from_ymd_opt(2020, 1, 13).unwrap()
    );
}

#[test]
fn cull_age_must_exceed_placement_age() {
    let e = load(&format!("{MINIMAL}[flock]\ncull_age_weeks = 18\n")).unwrap_err();
    assert!(
        e.to_string()
            .contains("flock.cull_age_weeks: 18 must be more than flock.placement_age_weeks (18)"),
        "{e}"
    );
}

#[test]
fn unknown_regions_get_a_suggestion() {
    let e = load(&MINIMAL.replace("Gorontalo", "Gorontal")).unwrap_err();
    assert!(
        e.to_string().contains(
            "t.toml:5:16: placement.a.allocation.\"Gorontal\": unknown region \"Gorontal\" (did you mean \"Gorontalo\"?)"
        ),
        "{e}"
    );
}

#[test]
fn flags_beat_the_file() {
    let source = Source {
        name: "t.toml".into(),
        text: format!("weeks = 10\n{MINIMAL}"),
        dir: None,
    };
    let o = Overrides {
        weeks: Some(20),
        seed: Some(7),
        ..Default::default()
    };
    let s = Scenario::load(&source, &o).unwrap();
    assert_eq!((s.world.weeks, s.ensemble.seed), (20, 7));
    let o = Overrides {
        weeks: Some(0),
        ..Default::default()
    };
    let e = Scenario::load(&source, &o).unwrap_err();
    assert_eq!(
        e.to_string(),
        "--weeks: weeks: 0 is out of range: must be a whole number from 1 to 5200"
    );
    let o = Overrides {
        seed: Some(u64::MAX),
        ..Default::default()
    };
    let e = Scenario::load(&source, &o).unwrap_err();
    assert_eq!(
        e.to_string(),
        "--seed: seed: 18446744073709551615 is out of range: must be a whole number from 0 to 9223372036854775807"
    );
}

#[test]
fn absurd_sizes_are_refused_with_the_estimate() {
    let e = load(&MINIMAL.replace("\"Gorontalo\" = 2", "\"Gorontalo\" = 2000000000")).unwrap_err();
    assert!(e.to_string().contains("GiB of memory"), "{e}");
    assert!(e.to_string().contains("the limit of 8 GiB"), "{e}");
    let e = load(&format!("{MINIMAL}[kube]\nmembers = 2000000000\n")).unwrap_err();
    assert!(
        e.to_string()
            .contains("kube.members: 2000000000 is out of range"),
        "{e}"
    );
}

#[test]
fn the_resolved_scenario_loads_back_to_the_same_scenario() {
    let s = Scenario::load(&Source::builtin_default(), &Overrides::default()).unwrap();
    let breeds: Vec<String> = s
        .placement_sources
        .iter()
        .map(|p| p.breed_file.reference.clone())
        .collect();
    let text = crate::report::resolved::resolved_toml(
        &s,
        &crate::report::resolved::DataNames {
            regions: "builtin:indonesia",
            breed: "builtin:layer-brown",
            placement_breeds: &breeds,
        },
    );
    let again = Scenario::load(
        &Source {
            name: "resolved.toml".into(),
            text,
            dir: None,
        },
        &Overrides::default(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(again.world, s.world);
    assert_eq!(again.design, s.design);
    assert_eq!(again.ensemble, s.ensemble);
    for (a, b) in again.placements.iter().zip(&s.placements) {
        assert_eq!(a.kubes_per_region, b.kubes_per_region);
        assert_eq!(a.start_weeks(), b.start_weeks());
        assert_eq!(a.design, b.design);
    }
}

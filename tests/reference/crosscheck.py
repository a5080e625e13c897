"""Cross-checks telur against reference.py on random deterministic scenarios (MODEL.md v2).

Usage: python3 crosscheck.py TELUR_BINARY SEED CASES WORKDIR
Each case draws regions (a random subset of the embedded provinces with perturbed
numbers), parameters and placements that reach every KUBE state, each placement with a
random programme design of its own (breed, flock, kube, program), runs telur and the
reference, and compares every output value. Exit status 1 if any value differs.
"""
import random, subprocess, sys, os, csv, collections
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import reference
try:
    sys.path.insert(0, os.path.join(HERE, '..', '..', 'benches'))
    import numpy_model
except ImportError:  # no NumPy: only the plain reference is checked
    numpy_model = None
TELUR = sys.argv[1]
rng = random.Random(int(sys.argv[2]))
N = int(sys.argv[3])
WORK = sys.argv[4]
os.makedirs(WORK, exist_ok=True)
regs = list(csv.DictReader(open(os.path.join(reference.SHARED, 'indonesia-2019.csv'))))

def design(rng):
    """A random programme design for a placement (MODEL.md v2 section 8): some of breed,
    flock, kube and program, each with a few keys."""
    out = []
    if rng.random() < 0.3:
        out.append(f'breed = "{rng.choice(["builtin:layer-brown", "builtin:kub"])}"')
    flock = []
    if rng.random() < 0.5:
        flock.append(f'hens_per_kube = {rng.randint(1, 800)}')
    if rng.random() < 0.3:
        flock.append(f'egg_price_factor = {rng.uniform(0.7, 2):.3f}')
    if rng.random() < 0.3:
        flock.append(f'tray_cost_rp_per_kg = {rng.uniform(0, 600):.1f}')
    if flock:
        out.append('flock = { ' + ', '.join(flock) + ' }')
    kube = []
    if rng.random() < 0.5:
        kube.append(f'payout_rule = "{rng.choice(["profit", "replacement"])}"')
    if rng.random() < 0.4:
        kube.append(f'retain_share = {rng.uniform(0, 1):.3f}')
    if rng.random() < 0.3:
        kube.append(f'members = {rng.randint(1, 12)}')
    if kube:
        out.append('kube = { ' + ', '.join(kube) + ' }')
    if rng.random() < 0.3:
        out.append(f'program = {{ mentoring_rp_per_kube_week = {rng.uniform(0, 90000):.1f} }}')
    return out

fails = 0
for case in range(N):
    d = os.path.join(WORK, f'c{case}'); os.makedirs(d, exist_ok=True)
    sub = rng.sample(regs, rng.randint(1, 5))
    with open(f'{d}/regions.csv', 'w', newline='') as f:
        w = csv.DictWriter(f, fieldnames=list(regs[0].keys())); w.writeheader()
        for r in sub:
            r = dict(r)
            r['population'] = str(rng.choice([float(r['population']), rng.uniform(1e4, 1e6)]))
            r['layer_egg_production_t_year'] = str(rng.choice([float(r['layer_egg_production_t_year']), rng.uniform(0, 20000), 0]))
            r['poor_household_size'] = str(rng.uniform(1, 6))
            r['transport_cost_rp_per_kg'] = str(rng.uniform(0, 8000))
            w.writerow(r)
    names = [r['region'] for r in sub]
    mon = rng.choice(['2020-01-06', '2019-12-30', '2021-03-01', '2023-06-05'])
    toml = [f'name = "c{case}"', 'mode = "deterministic"', f'start_date = "{mon}"', f'weeks = {rng.randint(20, 200)}',
            'regions = "regions.csv"', f'breed = "{rng.choice(["builtin:layer-brown", "builtin:kub"])}"']
    toml += ['[market]', f'price_band_width = {rng.uniform(0.05, 1):.4f}', f'farmgate_share = {rng.uniform(0.5, 1):.3f}',
             f'food_inflation = {rng.uniform(-0.05, 0.1):.4f}', f'feed_inflation = {rng.uniform(-0.05, 0.1):.4f}',
             'demand_season = [' + ','.join(f'{rng.uniform(0.8, 1.2):.3f}' for _ in range(12)) + ']',
             'price_season = [' + ','.join(f'{rng.uniform(0.8, 1.2):.3f}' for _ in range(12)) + ']',
             f'hub_feed_price_rp_per_kg = {rng.uniform(3000, 9000):.1f}']
    pa = rng.randint(10, 25)
    toml += ['[flock]', f'hens_per_kube = {rng.randint(1, 800)}', f'placement_age_weeks = {pa}', f'cull_age_weeks = {pa + rng.randint(1, 70)}',
             f'rest_weeks = {rng.randint(0, 5)}', f'production_factor = {rng.uniform(0.5, 1.2):.3f}', f'mortality_factor = {rng.uniform(0, 30):.3f}',
             f'egg_price_factor = {rng.uniform(0.7, 2):.3f}', f'fixed_cost_rp_per_kube_week = {rng.uniform(0, 300000):.1f}',
             f'pullet_price_rp = {rng.uniform(20000, 120000):.1f}', f'spent_hen_price_rp = {rng.uniform(0, 60000):.1f}',
             f'tray_cost_rp_per_kg = {rng.uniform(0, 600):.1f}']
    toml += ['[kube]', f'members = {rng.randint(1, 12)}', f'working_capital_rp = {rng.uniform(0, 3e7):.1f}',
             f'reserve_target_rp = {rng.uniform(0, 6e7):.1f}', f'retain_share = {rng.uniform(0, 1):.3f}',
             f'min_restock_fraction = {rng.uniform(0, 1):.3f}', f'payout_rule = "{rng.choice(["profit", "replacement"])}"']
    toml += ['[household]', f'baseline_income_ratio = {rng.uniform(0.5, 1.1):.3f}', f'income_dispersion_sigma = {rng.uniform(0, 0.8):.3f}',
             f'graduation_threshold = {rng.uniform(0.8, 1.3):.3f}', f'graduation_weeks = {rng.randint(1, 40)}', f'smoothing_weeks = {rng.randint(1, 10)}',
             f'income_growth = {rng.uniform(-0.02, 0.1):.4f}', f'poverty_line_growth = {rng.uniform(0, 0.1):.4f}',
             f'forgone_rp_per_member_week = {rng.choice([0.0, rng.uniform(0, 30000)]):.1f}']
    toml += ['[program]', f'discount_rate = {rng.uniform(0, 0.2):.3f}', f'capex_rp_per_kube = {rng.uniform(0, 4e7):.1f}']
    for p in range(rng.randint(1, 3)):
        toml += ['[[placement]]', f'name = "p{p}"']
        s = rng.choice(['explicit', 'proportional', 'equal'])
        if s == 'explicit':
            alloc = ', '.join(f'"{n}" = {rng.randint(1, 6)}' for n in rng.sample(names, rng.randint(1, len(names))))
            toml += ['strategy = "explicit"', f'allocation = {{ {alloc}, "{names[0]}" = 1 }}' if names[0] not in alloc else f'allocation = {{ {alloc} }}']
        else:
            toml += [f'strategy = "{s}"', f'kubes = {rng.randint(1, 15)}']
            if s == 'proportional':
                toml += [f'weight = "{rng.choice(["poor_people", "population"])}"']
            if rng.random() < 0.5:
                toml += ['regions = [' + ', '.join(f'"{n}"' for n in rng.sample(names, rng.randint(1, len(names)))) + ']']
        toml += [f'start_week = {rng.randint(0, 30)}', f'rollout_weeks = {rng.randint(0, 60)}']
        toml += design(rng)
    open(f'{d}/s.toml', 'w').write('\n'.join(toml) + '\n')
    r = subprocess.run([TELUR, 'run', f'{d}/s.toml', '--out', f'{d}/out', '--quiet'], capture_output=True, text=True)
    if r.returncode != 0:
        print(case, 'telur failed', r.stderr); fails += 1; continue
    sc = reference.resolve(f'{d}/s.toml')
    try:
        s, rs, res, nm = reference.simulate(sc)
    except Exception as e:
        print(case, 'reference failed', e); fails += 1; continue
    bad = reference.compare(f'{d}/out', s, rs, res, nm)
    if numpy_model is not None:
        # The NumPy model issue 15's benchmark runs must agree too (benches/numpy_model.py).
        bad += numpy_model.compare(f'{d}/out', *numpy_model.simulate(sc))
    # states covered
    st = collections.Counter(x for p in res.values() for x in p['st'])
    print(f'case {case}: KUBE end states {dict(st)}')
    if bad: fails += 1
print(f'cross-check: {N - fails} of {N} random scenarios match the reference' )
sys.exit(1 if fails else 0)

"""An independent, literal Python implementation of MODEL.md section 4 (deterministic mode).

Written from MODEL.md alone, without reading the Rust engine, to cross-check it: telur's
outputs must match it to a relative 1e-9. Usage: python3 reference.py SCENARIO OUTPUT_DIR
"""
import sys, tomllib, csv, math, datetime, os
from statistics import NormalDist

SHARED = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'src', 'data', 'builtin')

def load_csv(path):
    with open(path) as f:
        return list(csv.DictReader(f))

def resolve(path):
    with open(os.path.join(SHARED, 'defaults.toml'), 'rb') as f:
        d = tomllib.load(f)
    with open(path, 'rb') as f:
        s = tomllib.load(f)
    out = dict(d)
    for k, v in s.items():
        if isinstance(v, dict) and k in out:
            out[k] = {**out[k], **v}
        else:
            out[k] = v
    base = os.path.dirname(path)
    def data(ref, builtin):
        if ref.startswith('builtin:'):
            return os.path.join(SHARED, builtin[ref])
        return os.path.join(base, ref)
    out['_regions'] = load_csv(data(out['regions'], {'builtin:indonesia': 'indonesia-2019.csv'}))
    out['_breed'] = load_csv(data(out['breed'], {'builtin:layer-brown': 'layer-brown.csv', 'builtin:kub': 'kub.csv'}))
    return out

def g(rate, t):
    return (1 + rate) ** (t / 52)

def simulate(sc):
    T = sc['weeks']
    start = datetime.date.fromisoformat(str(sc['start_date']))
    regs = sc['_regions']
    R = len(regs)
    f = lambda r, k: float(regs[r][k])
    mk, fl, kb, hh, pg = sc['market'], sc['flock'], sc['kube'], sc['household'], sc['program']
    breed = sc['_breed']
    a0 = int(breed[0]['age_weeks'])
    def curve(a, col):
        if a < a0:
            return 0.0 if col == 'hen_day' else float(breed[0][col])
        i = min(a - a0, len(breed) - 1)
        return float(breed[i][col])
    month = [(start + datetime.timedelta(days=7 * t + 3)).month - 1 for t in range(T)]
    D = [[f(r, 'population') * g(f(r, 'population_growth'), t) * f(r, 'egg_consumption_kg_per_capita_year') / 52 * mk['demand_season'][month[t]] for r in range(R)] for t in range(T)]
    B = [[1000 * f(r, 'layer_egg_production_t_year') * g(f(r, 'production_growth'), t) / 52 for r in range(R)] for t in range(T)]
    Phub = [mk['hub_egg_price_rp_per_kg'] * g(mk['food_inflation'], t) * mk['price_season'][month[t]] for t in range(T)]
    F = [[(mk['hub_feed_price_rp_per_kg'] + f(r, 'feed_transport_rp_per_kg')) * g(mk['feed_inflation'], t) for r in range(R)] for t in range(T)]
    names = [x['region'] for x in regs]
    codes = [x['code'] for x in regs]
    def rid(n):
        for i in range(R):
            if names[i] == n or codes[i] == n:
                return i
        raise KeyError(n)

    def lr(total, weights):
        W = sum(weights)
        q = [total * w / W for w in weights]
        c = [math.floor(x) for x in q]
        rem = total - sum(c)
        order = sorted(range(len(q)), key=lambda i: (-(q[i] - math.floor(q[i])), i))
        for i in order[:rem]:
            c[i] += 1
        return c

    placements = [('baseline', [0] * R, 0, 0)]
    for p in sc['placement']:
        counts = [0] * R
        if p['strategy'] == 'explicit':
            for k, v in p['allocation'].items():
                counts[rid(k)] = v
        else:
            cand = sorted(rid(x) for x in p['regions']) if 'regions' in p else list(range(R))
            if p['strategy'] == 'equal':
                w = [1.0] * len(cand)
            else:
                wt = p['weight']
                def wf(r):
                    if wt == 'deficit':
                        d0 = f(r, 'population') * 1 * f(r, 'egg_consumption_kg_per_capita_year') / 52 * 1
                        b0 = 1000 * f(r, 'layer_egg_production_t_year') * 1 / 52
                        return max(0, 52 * (d0 - b0))
                    return f(r, wt)
                w = [wf(r) for r in cand]
            c = lr(p['kubes'], w)
            for r, x in zip(cand, c):
                counts[r] = x
        placements.append((p['name'], counts, p.get('start_week', 0), p.get('rollout_weeks', 0)))

    M = kb['members']; H0 = fl['hens_per_kube']; C0 = kb['working_capital_rp']; R_ = kb['reserve_target_rp']
    sigma = hh['income_dispersion_sigma']
    alpha = 2 / (hh['smoothing_weeks'] + 1)
    nd = NormalDist()
    results = {}
    for (pname, counts, sw, rw) in placements:
        kregion = [r for r in range(R) for _ in range(counts[r])]
        n = len(kregion)
        kstart = [sw + (j * rw) // n for j in range(n)]
        st = ['pending'] * n; N = [0.0] * n; A = [0] * n; C = [0.0] * n; rest = [0] * n
        y = []; S = []; streak = []; gw = []
        for k in range(n):
            r = kregion[k]
            nr = f(r, 'poor_household_size'); pl = f(r, 'poverty_line_rp_per_capita_month')
            for i in range(M):
                y.append(hh['baseline_income_ratio'] * pl * nr * math.exp(sigma * nd.inv_cdf((i + 0.5) / M) - sigma ** 2 / 2))
                S.append(None); streak.append(0); gw.append(None)
        rw_out = []
        pw_out = []
        pay_total = 0.0; npv_pay = 0.0; cost_total = 0.0; npv_cost = 0.0
        for t in range(T):
            food = g(mk['food_inflation'], t)
            pullet = fl['pullet_price_rp'] * food
            payout = [0.0] * n
            wstat = [None] * n
            pcost = 0.0
            for k in range(n):
                if st[k] == 'pending' and t == kstart[k]:
                    st[k] = 'active'; N[k] = H0; A[k] = fl['placement_age_weeks']; C[k] = C0
                    pcost += pg['capex_rp_per_kube'] + H0 * pullet + C0
                elif st[k] == 'resting' and rest[k] == 0:
                    nn = min(H0, (C[k] - C0) / pullet)
                    if nn < kb['min_restock_fraction'] * H0:
                        st[k] = 'closed'; payout[k] += max(C[k], 0); C[k] = 0
                    else:
                        C[k] -= nn * pullet; N[k] = nn; A[k] = fl['placement_age_weeks']; st[k] = 'active'
                wstat[k] = st[k]
            K = [0.0] * R
            prod = {}
            for k in range(n):
                if wstat[k] == 'active':
                    eggs = N[k] * 7 * curve(A[k], 'hen_day') * fl['production_factor']
                    ekg = eggs * curve(A[k], 'egg_weight_g') / 1000
                    fkg = N[k] * 7 * curve(A[k], 'feed_g_per_hen_day') / 1000
                    prod[k] = (ekg, fkg)
                    if N[k] > 0:
                        K[kregion[k]] += ekg
            P = []; rows = []
            for r in range(R):
                x = math.inf if D[t][r] == 0 else (B[t][r] + K[r]) / D[t][r]
                price = Phub[t] + f(r, 'transport_cost_rp_per_kg') * max(-1, min(1, (1 - x) / mk['price_band_width']))
                P.append(price)
                rows.append((D[t][r], B[t][r], K[r], max(0, D[t][r] - B[t][r] - K[r]), x, price))
            rw_out.append(rows)
            active = 0; eggs_sum = 0; rev = 0; cost_sum = 0
            for k in range(n):
                if wstat[k] == 'active':
                    active += 1
                    r = kregion[k]
                    ekg, fkg = prod[k]
                    eggs_sum += ekg
                    sales = ekg * P[r] * mk['farmgate_share'] * fl['egg_price_factor']
                    cost = fkg * F[t][r] + N[k] * fl['vet_cost_rp_per_hen_week'] * food + fl['fixed_cost_rp_per_kube_week'] * food
                    a = A[k]
                    N[k] = N[k] * (1 - min(1, curve(a, 'weekly_mortality') * fl['mortality_factor']))
                    A[k] = a + 1
                    spent = 0
                    shp = fl['spent_hen_price_rp'] * food
                    if A[k] >= fl['cull_age_weeks']:
                        spent = N[k] * shp; N[k] = 0; st[k] = 'resting'; rest[k] = fl['rest_weeks']
                    net = sales - cost
                    pay = (1 - kb['retain_share']) * max(net, 0)
                    C[k] = C[k] + net - pay + spent
                    if C[k] > R_:
                        pay += C[k] - R_; C[k] = R_
                    extra = 0
                    if C[k] < 0:
                        st[k] = 'failed'; extra = N[k] * shp; C[k] += extra; N[k] = 0; pay += max(C[k], 0); C[k] = 0
                    payout[k] += pay
                    rev += sales + spent + extra; cost_sum += cost
                if wstat[k] in ('active', 'resting'):
                    pcost += pg['mentoring_rp_per_kube_week']
                if wstat[k] == 'resting':
                    rest[k] -= 1
            disc = (1 + pg['discount_rate']) ** (-t / 52)
            cost_total += pcost; npv_cost += pcost * disc
            pay_total += sum(payout); npv_pay += sum(payout) * disc
            # households
            inc = []; above_n = 0; started_h = 0
            for k in range(n):
                if t < kstart[k]:
                    continue
                r = kregion[k]
                nr = f(r, 'poor_household_size'); pl = f(r, 'poverty_line_rp_per_capita_month')
                for i in range(M):
                    h = k * M + i
                    started_h += 1
                    base = y[h] * g(hh['income_growth'], t) * 12 / 52
                    I = base + payout[k] / M
                    if S[h] is None:
                        S[h] = base
                    S[h] = alpha * I + (1 - alpha) * S[h]
                    L = pl * nr * g(hh['poverty_line_growth'], t) * 12 / 52
                    above = S[h] >= hh['graduation_threshold'] * L
                    streak[h] = streak[h] + 1 if above else 0
                    if gw[h] is None and streak[h] >= hh['graduation_weeks']:
                        gw[h] = t
                    above_n += above
                    inc.append(S[h] / nr * 52 / 12)
            inc.sort()
            def q(p):
                if not inc: return None
                hq = (len(inc) - 1) * p; lo = math.floor(hq); hi = min(lo + 1, len(inc) - 1)
                return inc[lo] + (hq - lo) * (inc[hi] - inc[lo])
            grads = sum(1 for k in range(n) if kstart[k] <= t for i in range(M) if gw[k * M + i] is not None)
            pw_out.append({'active_kubes': active, 'hens': sum(N), 'eggs_kg': eggs_sum, 'revenue_rp': rev, 'cost_rp': cost_sum,
                           'payout_rp': sum(payout), 'cash_rp': sum(C), 'failed_kubes': st.count('failed'), 'closed_kubes': st.count('closed'),
                           'income_pc_month_p10_rp': q(.1), 'income_pc_month_p50_rp': q(.5), 'income_pc_month_p90_rp': q(.9),
                           'above_line_share': above_n / started_h if started_h else None, 'graduated_share': grads / started_h if started_h else None})
        started = [k for k in range(n) if kstart[k] < T]
        results[pname] = dict(counts=counts, rw=rw_out, pw=pw_out, st=st, started=started, kstart=kstart, kregion=kregion, gw=gw,
                              pay_total=pay_total, npv_pay=npv_pay + sum(C) * (1 + pg['discount_rate']) ** (-T / 52),
                              cost_total=cost_total, npv_cost=npv_cost)
    # metrics
    summary = {}; rsum = {}
    base = results['baseline']
    for pname, res in results.items():
        counts = res['counts']; target = [r for r in range(R) if counts[r] > 0]
        red = sum(base['rw'][t][r][3] - res['rw'][t][r][3] for t in range(T) for r in range(R))
        bd = sum(base['rw'][t][r][3] for t in range(T) for r in target)
        tr = sum(base['rw'][t][r][3] - res['rw'][t][r][3] for t in range(T) for r in target)
        imp = sum((base['rw'][t][r][3] - res['rw'][t][r][3]) * f(r, 'transport_cost_rp_per_kg') for t in range(T) for r in range(R))
        ns = len(res['started'])
        sts = [res['st'][k] for k in res['started']]
        gws = sorted(res['gw'][k * M + i] - res['kstart'][k] + 1 for k in res['started'] for i in range(M) if res['gw'][k * M + i] is not None)
        grads = len(gws)
        def med(v):
            if not v: return None
            hq = (len(v) - 1) * 0.5; lo = math.floor(hq); hi = min(lo + 1, len(v) - 1)
            return v[lo] + (hq - lo) * (v[hi] - v[lo])
        hm = sum((T - res['kstart'][k]) * 12 / 52 for k in res['started'] for i in range(M))
        wsum = sum(D[t][r] for t in range(T) for r in target)
        pc = sum(D[t][r] * (res['rw'][t][r][5] - base['rw'][t][r][5]) / base['rw'][t][r][5] for t in range(T) for r in target)
        div = lambda a, b: None if not b else a / b
        summary[pname] = {
            'kubes': sum(counts), 'households': sum(counts) * M,
            'eggs_kg': sum(res['rw'][t][r][2] for t in range(T) for r in range(R)),
            'deficit_reduction_kg': red, 'deficit_reduction_share': div(tr, bd), 'import_cost_saved_rp': imp,
            'kubes_operating_end_share': div(sum(s in ('active', 'resting') for s in sts), ns),
            'kubes_failed_share': div(sts.count('failed'), ns), 'kubes_closed_share': div(sts.count('closed'), ns),
            'graduated_share': div(grads, ns * M), 'median_weeks_to_graduation': med(gws),
            'payout_per_household_month_rp': div(res['pay_total'], hm), 'program_cost_rp': res['cost_total'],
            'npv_program_cost_rp': res['npv_cost'], 'npv_payouts_rp': res['npv_pay'],
            'benefit_cost_ratio': div(res['npv_pay'], res['npv_cost']), 'cost_per_graduate_rp': div(res['cost_total'], grads),
            'consumer_price_change_pct': None if not wsum else 100 * pc / wsum,
        }
        for r in range(R):
            sh = sum(M for k in res['started'] if res['kregion'][k] == r)
            gr = sum(1 for k in res['started'] if res['kregion'][k] == r for i in range(M) if res['gw'][k * M + i] is not None)
            d = sum(res['rw'][t][r][3] for t in range(T))
            rsum[(pname, names[r])] = {
                'kubes': counts[r], 'households': counts[r] * M, 'eggs_kg': sum(res['rw'][t][r][2] for t in range(T)),
                'deficit_kg': d, 'deficit_reduction_kg': sum(base['rw'][t][r][3] for t in range(T)) - d,
                'self_sufficiency_mean': sum(res['rw'][t][r][4] for t in range(T)) / T,
                'price_mean_rp_per_kg': sum(res['rw'][t][r][5] for t in range(T)) / T, 'graduated_share': div(gr, sh)}
    return summary, rsum, results, names

def compare(outdir, summary, rsum, results, names, tol=1e-9):
    bad = 0; n = 0
    def close(a, b):
        if a is None or b is None:
            return a is None and b is None
        if math.isinf(a) or math.isinf(b): return a == b
        return abs(a - b) <= tol * max(abs(a), abs(b), 1e-300) or abs(a - b) < 1e-6
    def val(s):
        return None if s == '' else float(s)
    for row in csv.DictReader(open(os.path.join(outdir, 'summary.csv'))):
        want = summary[row['placement']][row['metric']]; got = val(row['mean']); n += 1
        if not close(got, want):
            bad += 1; print('summary', row['placement'], row['metric'], got, want)
    for row in csv.DictReader(open(os.path.join(outdir, 'region_summary.csv'))):
        want = rsum[(row['placement'], row['region'])][row['metric']]; got = val(row['mean']); n += 1
        if not close(got, want):
            bad += 1; print('region_summary', row['placement'], row['region'], row['metric'], got, want) if bad < 30 else None
    idx = ['demand_kg', 'baseline_supply_kg', 'kube_supply_kg', 'deficit_kg', 'self_sufficiency', 'price_rp_per_kg']
    ri = {x: i for i, x in enumerate(names)}
    for row in csv.DictReader(open(os.path.join(outdir, 'region_weekly.csv'))):
        want = results[row['placement']]['rw'][int(row['week'])][ri[row['region']]][idx.index(row['metric'])]; got = val(row['mean']); n += 1
        if not close(got, want):
            bad += 1; print('region_weekly', row, want) if bad < 30 else None
    for row in csv.DictReader(open(os.path.join(outdir, 'program_weekly.csv'))):
        want = results[row['placement']]['pw'][int(row['week'])][row['metric']]; got = val(row['mean']); n += 1
        if not close(got, want):
            bad += 1; print('program_weekly', row, want) if bad < 30 else None
    print(f'{n} values compared, {bad} differ')
    return bad

if __name__ == '__main__':
    sc = resolve(sys.argv[1])
    s, r, res, names = simulate(sc)
    sys.exit(1 if compare(sys.argv[2], s, r, res, names) else 0)

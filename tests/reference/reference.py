"""An independent, literal Python implementation of MODEL.md v2 section 4 (deterministic mode).

Written from MODEL.md alone, without reading the Rust engine, to cross-check it: telur's
outputs must match it to a relative 1e-9. Every equation is evaluated as MODEL.md writes
it: in particular the three arms of 4.6 are three separate moving averages per household
(telur keeps one and adds per-KUBE corrections; the two agree to rounding).
Usage: python3 reference.py SCENARIO OUTPUT_DIR
"""
import sys, tomllib, csv, math, datetime, os
from statistics import NormalDist

SHARED = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'src', 'data', 'builtin')
BREEDS = {'builtin:layer-brown': 'layer-brown.csv', 'builtin:kub': 'kub.csv'}
DESIGN_TABLES = ('flock', 'kube', 'program')

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
    out['_breed_file'] = lambda ref: load_csv(data(ref, BREEDS))
    return out

def g(rate, t):
    return (1 + rate) ** (t / 52)

def design_of(sc, p):
    """A placement's design: its own breed and tables merged key by key over the scenario's."""
    d = {t: {**sc[t], **p.get(t, {})} for t in DESIGN_TABLES}
    d['breed'] = sc['_breed_file'](p.get('breed', sc['breed']))
    return d

def resolve_placements(sc):
    """Every placement's KUBE per region (MODEL.md 3), the baseline first: (name, counts,
    start week, rollout weeks, design); and the regions' names."""
    regs = sc['_regions']
    R = len(regs)
    f = lambda r, k: float(regs[r][k])
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

    placements = [('baseline', [0] * R, 0, 0, design_of(sc, {}))]
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
        placements.append((p['name'], counts, p.get('start_week', 0), p.get('rollout_weeks', 0), design_of(sc, p)))
    return placements, names

def simulate(sc):
    T = sc['weeks']
    start = datetime.date.fromisoformat(str(sc['start_date']))
    regs = sc['_regions']
    R = len(regs)
    f = lambda r, k: float(regs[r][k])
    mk, hh = sc['market'], sc['household']
    month = [(start + datetime.timedelta(days=7 * t + 3)).month - 1 for t in range(T)]
    D = [[f(r, 'population') * g(f(r, 'population_growth'), t) * f(r, 'egg_consumption_kg_per_capita_year') / 52 * mk['demand_season'][month[t]] for r in range(R)] for t in range(T)]
    B = [[1000 * f(r, 'layer_egg_production_t_year') * g(f(r, 'production_growth'), t) / 52 for r in range(R)] for t in range(T)]
    Phub = [mk['hub_egg_price_rp_per_kg'] * g(mk['food_inflation'], t) * mk['price_season'][month[t]] for t in range(T)]
    F = [[(mk['hub_feed_price_rp_per_kg'] + f(r, 'feed_transport_rp_per_kg')) * g(mk['feed_inflation'], t) for r in range(R)] for t in range(T)]
    placements, names = resolve_placements(sc)

    sigma = hh['income_dispersion_sigma']
    alpha = 2 / (hh['smoothing_weeks'] + 1)
    nd = NormalDist()
    disc_rate = sc['program']['discount_rate']
    results = {}
    for (pname, counts, sw, rw, ds) in placements:
        fl, kb, pg, breed = ds['flock'], ds['kube'], ds['program'], ds['breed']
        a0 = int(breed[0]['age_weeks'])
        def curve(a, col):
            if a < a0:
                return 0.0 if col == 'hen_day' else float(breed[0][col])
            i = min(a - a0, len(breed) - 1)
            return float(breed[i][col])
        M = kb['members']; H0 = fl['hens_per_kube']
        kregion = [r for r in range(R) for _ in range(counts[r])]
        n = len(kregion)
        kstart = [sw + (j * rw) // n for j in range(n)]
        st = ['pending'] * n; N = [0.0] * n; A = [0] * n; C = [0.0] * n; rest = [0] * n
        outlay = [0.0] * n
        # Per KUBE sums for the region results.
        k_pay = [0.0] * n; k_cost = [0.0] * n; k_npv_cost = [0.0] * n; k_npv_ben = [0.0] * n
        ARMS = ('prog', 'wo', 'cash')
        y = []; size = []
        S = {a: [] for a in ARMS}; streak = {a: [] for a in ARMS}; gw = {a: [] for a in ARMS}
        poor_entry = 0
        gain = {'prog': 0.0, 'cash': 0.0}; hweeks = 0
        for k in range(n):
            r = kregion[k]
            nr = f(r, 'poor_household_size'); pl = f(r, 'poverty_line_rp_per_capita_month')
            for i in range(M):
                y.append(hh['baseline_income_ratio'] * pl * nr * math.exp(sigma * nd.inv_cdf((i + 0.5) / M) - sigma ** 2 / 2))
                size.append(nr)
                for a in ARMS:
                    S[a].append(None); streak[a].append(0); gw[a].append(None)
        rw_out = []
        pw_out = []
        pay_total = 0.0; npv_pay = 0.0
        for t in range(T):
            food = g(mk['food_inflation'], t)
            pullet = fl['pullet_price_rp'] * food
            C0t = kb['working_capital_rp'] * food
            Rt = kb['reserve_target_rp'] * food
            payout = [0.0] * n
            wstat = [None] * n
            kcost = [0.0] * n
            disc = (1 + disc_rate) ** (-t / 52)
            for k in range(n):
                if st[k] == 'pending' and t == kstart[k]:
                    st[k] = 'active'; N[k] = H0; A[k] = fl['placement_age_weeks']; C[k] = C0t
                    outlay[k] = pg['capex_rp_per_kube'] * food + H0 * pullet + C0t
                    kcost[k] += outlay[k]
                elif st[k] == 'resting' and rest[k] == 0:
                    nn = min(H0, (C[k] - C0t) / pullet)
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
            shp = fl['spent_hen_price_rp'] * food
            for k in range(n):
                if wstat[k] == 'active':
                    active += 1
                    r = kregion[k]
                    ekg, fkg = prod[k]
                    eggs_sum += ekg
                    sales = ekg * P[r] * mk['farmgate_share'] * fl['egg_price_factor']
                    cost = fkg * F[t][r] + N[k] * (fl['vet_cost_rp_per_hen_week'] * food) + fl['fixed_cost_rp_per_kube_week'] * food + ekg * (fl['tray_cost_rp_per_kg'] * food)
                    dep = N[k] * max(0, pullet - shp) / (fl['cull_age_weeks'] - fl['placement_age_weeks'])
                    a = A[k]
                    N[k] = N[k] * (1 - min(1, curve(a, 'weekly_mortality') * fl['mortality_factor']))
                    A[k] = a + 1
                    spent = 0
                    if A[k] >= fl['cull_age_weeks']:
                        spent = N[k] * shp; N[k] = 0; st[k] = 'resting'; rest[k] = fl['rest_weeks']
                    net = sales - cost
                    if kb['payout_rule'] == 'replacement':
                        pay = (1 - kb['retain_share']) * max(net - dep, 0)
                    else:
                        pay = (1 - kb['retain_share']) * max(net, 0)
                    C[k] = C[k] + net - pay + spent
                    if C[k] > Rt:
                        pay += C[k] - Rt; C[k] = Rt
                    extra = 0
                    if C[k] < 0:
                        st[k] = 'failed'; extra = N[k] * shp; C[k] += extra; N[k] = 0; pay += max(C[k], 0); C[k] = 0
                    payout[k] += pay
                    rev += sales + spent + extra; cost_sum += cost
                if wstat[k] in ('active', 'resting'):
                    kcost[k] += pg['mentoring_rp_per_kube_week']
                if wstat[k] == 'resting':
                    rest[k] -= 1
            Wt = hh['forgone_rp_per_member_week'] * g(hh['income_growth'], t)
            for k in range(n):
                k_cost[k] += kcost[k]; k_npv_cost[k] += kcost[k] * disc
                k_pay[k] += payout[k]
                forgone = Wt if wstat[k] == 'active' else 0.0
                if t >= kstart[k]:
                    k_npv_ben[k] += (payout[k] - M * forgone) * disc
            pay_total += sum(payout); npv_pay += sum(payout) * disc
            # households, in three arms
            inc = []; inc_wo = []; above_n = {a: 0 for a in ARMS}; started_h = 0
            for k in range(n):
                if t < kstart[k]:
                    continue
                r = kregion[k]
                pl = f(r, 'poverty_line_rp_per_capita_month')
                forgone = Wt if wstat[k] == 'active' else 0.0
                mentoring = pg['mentoring_rp_per_kube_week'] if wstat[k] in ('active', 'resting') else 0.0
                cash_k = outlay[k] / (T - kstart[k]) + mentoring
                for i in range(M):
                    h = k * M + i
                    nr = size[h]
                    started_h += 1
                    hweeks += 1
                    I_wo = y[h] * g(hh['income_growth'], t) * 12 / 52
                    I = {'prog': I_wo + payout[k] / M - forgone, 'wo': I_wo, 'cash': I_wo + cash_k / M}
                    gain['prog'] += (I['prog'] - I_wo) * 52 / 12 / nr
                    gain['cash'] += (I['cash'] - I_wo) * 52 / 12 / nr
                    L = pl * nr * g(hh['poverty_line_growth'], t) * 12 / 52
                    for a in ARMS:
                        if S[a][h] is None:
                            S[a][h] = I_wo
                        S[a][h] = alpha * I[a] + (1 - alpha) * S[a][h]
                        above = S[a][h] >= hh['graduation_threshold'] * L
                        streak[a][h] = streak[a][h] + 1 if above else 0
                        if gw[a][h] is None and streak[a][h] >= hh['graduation_weeks']:
                            gw[a][h] = t
                        above_n[a] += above
                        if a == 'wo' and t == kstart[k] and not above:
                            poor_entry += 1
                    inc.append(S['prog'][h] / nr * 52 / 12)
                    inc_wo.append(S['wo'][h] / nr * 52 / 12)
            inc.sort(); inc_wo.sort()
            def q(v, p):
                if not v: return None
                hq = (len(v) - 1) * p; lo = math.floor(hq); hi = min(lo + 1, len(v) - 1)
                return v[lo] + (hq - lo) * (v[hi] - v[lo])
            def grads(a):
                return sum(1 for k in range(n) if kstart[k] <= t for i in range(M) if gw[a][k * M + i] is not None)
            sh = lambda x: x / started_h if started_h else None
            pw_out.append({'active_kubes': active, 'hens': sum(N), 'eggs_kg': eggs_sum, 'revenue_rp': rev, 'cost_rp': cost_sum,
                           'payout_rp': sum(payout), 'cash_rp': sum(C), 'failed_kubes': st.count('failed'), 'closed_kubes': st.count('closed'),
                           'income_pc_month_p10_rp': q(inc, .1), 'income_pc_month_p50_rp': q(inc, .5), 'income_pc_month_p90_rp': q(inc, .9),
                           'above_line_share': sh(above_n['prog']), 'graduated_share': sh(grads('prog')),
                           'income_pc_month_p50_without_rp': q(inc_wo, .5), 'above_line_share_without': sh(above_n['wo']),
                           'above_line_share_cash': sh(above_n['cash']), 'graduated_share_without': sh(grads('wo')),
                           'graduated_share_cash': sh(grads('cash'))})
        endd = (1 + disc_rate) ** (-T / 52)
        shT = fl['spent_hen_price_rp'] * g(mk['food_inflation'], T)
        k_end = [(C[k] + N[k] * shT) * endd for k in range(n)]
        started = [k for k in range(n) if kstart[k] < T]
        results[pname] = dict(counts=counts, rw=rw_out, pw=pw_out, st=st, started=started, kstart=kstart, kregion=kregion, gw=gw,
                              M=M, pay_total=pay_total, npv_pay=npv_pay + sum(C) * endd,
                              k_pay=k_pay, k_cost=k_cost, k_npv_cost=k_npv_cost, k_npv_ben=k_npv_ben, k_end=k_end,
                              poor_entry=poor_entry, streak=streak, gain=gain, hweeks=hweeks)
    return summarise(sc, results, D, names, f, R, T)

def add_win_shares(summary):
    """win_share (issue 13): one replicate, so the placement(s) causing the most graduation
    share it (ties split); the baseline does not compete."""
    progs = [p for p in summary if p != 'baseline']
    caused = {p: summary[p]['graduation_attributable_share'] for p in progs}
    defined = [v for v in caused.values() if v is not None]
    best = max(defined) if defined else None
    winners = [p for p in progs if best is None or caused[p] == best]
    for p in summary:
        summary[p]['win_share'] = None if p == 'baseline' else (1 / len(winners) if p in winners else 0.0)

def summarise(sc, results, D, names, f, R, T):
    summary = {}; rsum = {}
    base = results['baseline']
    div = lambda a, b: None if not b else a / b
    def med(v):
        if not v: return None
        hq = (len(v) - 1) * 0.5; lo = math.floor(hq); hi = min(lo + 1, len(v) - 1)
        return v[lo] + (hq - lo) * (v[hi] - v[lo])
    for pname, res in results.items():
        M = res['M']
        counts = res['counts']; target = [r for r in range(R) if counts[r] > 0]
        red = sum(base['rw'][t][r][3] - res['rw'][t][r][3] for t in range(T) for r in range(R))
        bd = sum(base['rw'][t][r][3] for t in range(T) for r in target)
        tr = sum(base['rw'][t][r][3] - res['rw'][t][r][3] for t in range(T) for r in target)
        imp = sum((base['rw'][t][r][3] - res['rw'][t][r][3]) * f(r, 'transport_cost_rp_per_kg') for t in range(T) for r in range(R))
        def over(ks):
            """Horizon sums over the started KUBE `ks` and their households."""
            hs = [k * M + i for k in ks for i in range(M)]
            grad = {a: sum(1 for h in hs if res['gw'][a][h] is not None) for a in ('prog', 'wo', 'cash')}
            return dict(n=len(ks), hh=len(hs), grad=grad,
                        above={a: sum(1 for h in hs if res['streak'][a][h] > 0) for a in ('prog', 'wo', 'cash')},
                        operating=sum(res['st'][k] in ('active', 'resting') for k in ks),
                        pay=sum(res['k_pay'][k] for k in ks), cost=sum(res['k_cost'][k] for k in ks),
                        npv_cost=sum(res['k_npv_cost'][k] for k in ks),
                        npv_ben=sum(res['k_npv_ben'][k] + res['k_end'][k] for k in ks),
                        hm=sum((T - res['kstart'][k]) * 12 / 52 for k in ks for i in range(M)))
        def caused_cost(o):
            caused = o['grad']['prog'] - o['grad']['wo']
            return o['cost'] / caused if caused > 0 else None
        o = over(res['started'])
        sts = [res['st'][k] for k in res['started']]
        gws = sorted(res['gw']['prog'][k * M + i] - res['kstart'][k] + 1 for k in res['started'] for i in range(M) if res['gw']['prog'][k * M + i] is not None)
        wsum = sum(D[t][r] for t in range(T) for r in target)
        pc = sum(D[t][r] * (res['rw'][t][r][5] - base['rw'][t][r][5]) / base['rw'][t][r][5] for t in range(T) for r in target)
        share = lambda x: div(x, o['hh'])
        gs = {a: share(o['grad'][a]) for a in ('prog', 'wo', 'cash')}
        minus = lambda a, b: None if a is None or b is None else a - b
        summary[pname] = {
            'kubes': sum(counts), 'households': sum(counts) * M,
            'eggs_kg': sum(res['rw'][t][r][2] for t in range(T) for r in range(R)),
            'deficit_reduction_kg': red, 'deficit_reduction_share': div(tr, bd), 'import_cost_saved_rp': imp,
            'kubes_operating_end_share': div(o['operating'], o['n']),
            'kubes_failed_share': div(sts.count('failed'), o['n']), 'kubes_closed_share': div(sts.count('closed'), o['n']),
            'graduated_share': gs['prog'], 'median_weeks_to_graduation': med(gws),
            'payout_per_household_month_rp': div(res['pay_total'], o['hm']), 'program_cost_rp': o['cost'],
            'npv_program_cost_rp': o['npv_cost'], 'npv_payouts_rp': res['npv_pay'], 'npv_benefits_rp': o['npv_ben'],
            'benefit_cost_ratio': div(o['npv_ben'], o['npv_cost']), 'cost_per_graduate_rp': div(o['cost'], o['grad']['prog']),
            'graduated_share_without': gs['wo'], 'graduated_share_cash': gs['cash'],
            'graduation_attributable_share': minus(gs['prog'], gs['wo']),
            'graduation_attributable_share_cash': minus(gs['cash'], gs['wo']),
            'attributable_graduates': o['grad']['prog'] - o['grad']['wo'],
            'cost_per_attributable_graduate_rp': caused_cost(o),
            'poor_at_entry_share': share(res['poor_entry']),
            'above_line_end_share': share(o['above']['prog']), 'above_line_end_share_without': share(o['above']['wo']),
            'above_line_end_share_cash': share(o['above']['cash']),
            'income_gain_pc_month_rp': div(res['gain']['prog'], res['hweeks']),
            'income_gain_pc_month_cash_rp': div(res['gain']['cash'], res['hweeks']),
            'consumer_price_change_pct': None if not wsum else 100 * pc / wsum,
        }
        for r in range(R):
            ro = over([k for k in res['started'] if res['kregion'][k] == r])
            d = sum(res['rw'][t][r][3] for t in range(T))
            g_prog, g_wo = div(ro['grad']['prog'], ro['hh']), div(ro['grad']['wo'], ro['hh'])
            rsum[(pname, names[r])] = {
                'kubes': counts[r], 'households': counts[r] * M, 'eggs_kg': sum(res['rw'][t][r][2] for t in range(T)),
                'deficit_kg': d, 'deficit_reduction_kg': sum(base['rw'][t][r][3] for t in range(T)) - d,
                'self_sufficiency_mean': sum(res['rw'][t][r][4] for t in range(T)) / T,
                'price_mean_rp_per_kg': sum(res['rw'][t][r][5] for t in range(T)) / T, 'graduated_share': g_prog,
                'graduated_share_without': g_wo, 'graduation_attributable_share': minus(g_prog, g_wo),
                'payout_per_household_month_rp': div(ro['pay'], ro['hm']),
                'kubes_operating_end_share': div(ro['operating'], ro['n']),
                'program_cost_rp': ro['cost'], 'npv_program_cost_rp': ro['npv_cost'], 'npv_benefits_rp': ro['npv_ben'],
                'benefit_cost_ratio': div(ro['npv_ben'], ro['npv_cost']),
                'cost_per_attributable_graduate_rp': caused_cost(ro)}
    add_win_shares(summary)
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

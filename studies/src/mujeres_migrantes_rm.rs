//! Generator for the seed study `mujeres-migrantes-rm`, form `cuestionario`.
//!
//! Draws from the distributions of the research notes (§3.1): country of birth (2017 Census
//! shares, Bolivia halved for the capital), region, age by country, arrival year, schooling by
//! country, household size, employment, occupation, contract, income, household income bands,
//! unpaid hours and violence rates. Every interview it writes is valid against the form's
//! schema and logic plugin: it answers exactly the relevant questions, every required one, and
//! breaks no constraint. It also takes the skip paths (declined consent, born in Chile, under
//! 18, no privacy for section F, no partner, one-person households) and some boundary values.

use rand::{Rng, rngs::StdRng};
use serde_json::{Map, Value, json};
use time::{Date, Duration, Month};

use campo_gen::{lognormal, normal, weighted};

/// The study's own generator.
pub struct Generator;

impl campo_gen::StudyGenerator for Generator {
    fn study(&self) -> &str {
        "mujeres-migrantes-rm"
    }

    fn forms(&self) -> &[&str] {
        &["cuestionario"]
    }

    fn answers(&self, form: &str, rng: &mut StdRng) -> Option<Value> {
        answers(form, rng)
    }
}

fn answers(form: &str, rng: &mut StdRng) -> Option<Value> {
    (form == "cuestionario").then(|| interview(rng))
}

/// What the generator knows about a respondent beyond her answers, so later sections agree
/// with earlier ones.
struct Respondent {
    interview_year: i64,
    age: i64,
    arrival_year: i64,
    country: &'static str,
    /// Optional modules answered in this interview (the notes' 23 non-core items).
    full_bank: bool,
    partner_at_home: bool,
    has_id_card: Option<bool>,
    /// Ages of her children living with her.
    children_at_home: Vec<i64>,
    children_abroad: i64,
    working: bool,
    paid_hours: i64,
    own_income: i64,
}

impl Respondent {
    /// Whether an optional item is answered: most interviews use the full item bank.
    fn optional(&self, rng: &mut StdRng) -> bool {
        self.full_bank && rng.random_bool(0.97)
    }
}

fn interview(rng: &mut StdRng) -> Value {
    let date = interview_date(rng);
    if rng.random_bool(0.02) {
        return json!({"identificacion": {"a01_consent": "no", "a14_resultado": "rechaza"}});
    }
    let country = *weighted(rng, COUNTRIES);
    let region = *weighted(rng, if country == "bolivia" { REGIONS_BOLIVIA } else { REGIONS });
    let mut id = Map::new();
    id.insert("a01_consent".into(), json!("si"));
    id.insert("a02_fecha".into(), json!(date.to_string()));
    id.insert("a03_region".into(), json!(region));
    if rng.random_bool(0.95) {
        id.insert("a04_comuna".into(), json!(comuna(rng, region)));
    }
    // Screening: a few under-18s and women born in Chile reach the door and end the form.
    if rng.random_bool(0.01) {
        id.insert("a05_edad".into(), json!(rng.random_range(15..=17)));
        id.insert("a14_resultado".into(), json!("no_elegible_edad"));
        return json!({"identificacion": id});
    }
    let age = respondent_age(rng, country);
    id.insert("a05_edad".into(), json!(age));
    if rng.random_bool(0.02) {
        id.insert("a06_pais_nac".into(), json!("chile"));
        id.insert("a14_resultado".into(), json!("no_elegible_nacida_en_chile"));
        return json!({"identificacion": id});
    }

    let interview_year = i64::from(date.year());
    let full_bank = rng.random_bool(0.8);
    let mut r = Respondent {
        interview_year,
        age,
        arrival_year: interview_year,
        country,
        full_bank,
        partner_at_home: false,
        has_id_card: None,
        children_at_home: Vec::new(),
        children_abroad: 0,
        working: false,
        paid_hours: 0,
        own_income: 0,
    };
    identification(rng, &mut r, &mut id);
    let (mut hogar, first_birth) = household(rng, &mut r);
    let salud = health(rng, &r, first_birth);
    let mut trabajo = work(rng, &mut r);
    let tiempo = time_use(rng, &r);
    household_income(rng, &r, &hogar, &mut trabajo);
    remittances(rng, &r, &mut hogar);
    let violencia = violence(rng, &r);
    let mut redes = Map::new();
    if r.optional(rng) {
        redes.insert("g01_organizacion".into(), json!(if rng.random_bool(0.25) { "si" } else { "no" }));
    }
    if r.optional(rng) {
        let who = if r.partner_at_home { *weighted(rng, &[("yo_sola", 0.75), ("con_pareja", 0.22), ("otra_persona", 0.03)]) } else { "yo_sola" };
        redes.insert("g02_decide_salud".into(), json!(who));
    }
    json!({
        "identificacion": id, "hogar": hogar, "trabajo": trabajo, "tiempo": tiempo,
        "salud": salud, "violencia": violencia, "redes": redes,
    })
}

/// Fieldwork from 1 August 2017 (study start) to 31 March 2018, so both minimum wages of the
/// period (270,000 and, from 2018, 276,000) apply to some interviews.
fn interview_date(rng: &mut StdRng) -> Date {
    let start = Date::from_calendar_date(2017, Month::August, 1).expect("a valid date");
    if rng.random_bool(0.01) {
        return start;
    }
    start + Duration::days(rng.random_range(0..=242))
}

/// 2017 Census shares of immigrants [S20] with Bolivia halved (Bolivians live mostly in the
/// north [S23]); "other" (22.4 %) split among Ecuador, the Dominican Republic and the rest.
const COUNTRIES: &[(&str, f64)] = &[
    ("peru", 25.2), ("colombia", 14.1), ("venezuela", 11.1), ("bolivia", 4.95), ("argentina", 8.9),
    ("haiti", 8.4), ("ecuador", 4.0), ("rep_dominicana", 3.5), ("otro", 14.9),
];
/// RM 65.3 %, Antofagasta 8.4 %, Tarapacá 5.9 % of immigrants, renormalised [S20].
const REGIONS: &[(&str, f64)] = &[("13", 82.0), ("02", 11.0), ("01", 7.0)];
const REGIONS_BOLIVIA: &[(&str, f64)] = &[("13", 45.0), ("02", 25.0), ("01", 30.0)];

/// Comunas by region, weighted towards those with most immigrants [ASSUMPTION on weights];
/// any other comuna of the region takes a small share.
fn comuna(rng: &mut StdRng, region: &str) -> &'static str {
    let (main, rest): (&[(&str, f64)], &[&str]) = match region {
        "13" => (
            &[("13101", 25.0), ("13108", 7.0), ("13106", 7.0), ("13127", 6.0), ("13126", 4.0), ("13125", 4.0),
              ("13114", 4.0), ("13120", 3.5), ("13119", 3.5), ("13201", 3.0), ("13110", 3.0), ("13401", 2.5),
              ("13123", 3.0), ("13124", 2.0), ("13128", 2.0)],
            &["13102", "13103", "13104", "13105", "13107", "13109", "13111", "13112", "13113", "13115", "13116", "13117",
              "13118", "13121", "13122", "13129", "13130", "13131", "13132", "13202", "13203", "13301", "13302", "13303",
              "13402", "13403", "13404", "13501", "13502", "13503", "13504", "13505", "13601", "13602", "13603", "13604", "13605"],
        ),
        "01" => (&[("01101", 60.0), ("01107", 30.0), ("01401", 6.0)], &["01402", "01403", "01404", "01405"]),
        _ => (&[("02101", 65.0), ("02201", 27.0), ("02102", 2.0)], &["02103", "02104", "02202", "02203", "02301", "02302"]),
    };
    let rest_share = if region == "13" { 17.0 } else { 4.0 };
    if rng.random::<f64>() * (main.iter().map(|(_, w)| w).sum::<f64>() + rest_share) < rest_share {
        return rest[rng.random_range(0..rest.len())];
    }
    weighted::<&str>(rng, main)
}

/// Truncated normal on 18–75 with a mean by country (Venezuelans youngest, Peruvians oldest
/// [S23]); a few exactly 18, the eligibility boundary.
fn respondent_age(rng: &mut StdRng, country: &str) -> i64 {
    if rng.random_bool(0.01) {
        return 18;
    }
    let mean = match country {
        "venezuela" => 28.0,
        "haiti" => 30.0,
        "colombia" => 32.0,
        "bolivia" => 33.0,
        "peru" => 36.0,
        _ => 33.0,
    };
    truncated_normal(rng, mean, 9.0, 18.0, 75.0).round() as i64
}

fn truncated_normal(rng: &mut StdRng, mean: f64, sd: f64, low: f64, high: f64) -> f64 {
    for _ in 0..100 {
        let x = normal(rng, mean, sd);
        if (low..=high).contains(&x) {
            return x;
        }
    }
    mean.clamp(low, high)
}

fn identification(rng: &mut StdRng, r: &mut Respondent, id: &mut Map<String, Value>) {
    id.insert("a06_pais_nac".into(), json!(r.country));
    if r.country == "otro" {
        let name = *weighted(rng, &[("España", 3.0), ("Brasil", 3.0), ("China", 2.0), ("Paraguay", 1.0), ("Cuba", 2.0), ("Estados Unidos", 1.0), ("Uruguay", 1.0)]);
        id.insert("a07_pais_otro".into(), json!(name));
    }
    r.arrival_year = arrival_year(rng, r);
    id.insert("a08_anio_llegada".into(), json!(r.arrival_year));

    // Nationality (optional) and migration status, asked unless she is Chilean only.
    let nationality = *weighted(rng, &[("solo_extranjera", 85.0), ("chilena_y_otra", 12.0), ("chilena_exclusiva", 2.0), ("sin_nacionalidad", 1.0)]);
    let asked_nationality = r.optional(rng);
    if asked_nationality {
        id.insert("a09_nacionalidad".into(), json!(nationality));
    }
    let status = if asked_nationality && nationality == "chilena_exclusiva" {
        None
    } else if nationality.starts_with("chilena") {
        Some("permanencia_definitiva")
    } else {
        Some(*weighted(rng, &[
            ("permanencia_definitiva", 35.0), ("visa_temporaria", 25.0), ("visa_sujeta_contrato", 15.0), ("turista", 5.0),
            ("refugio", 3.0), ("en_tramite", 10.0), ("sin_documentos", 5.0), ("pnr", 2.0),
        ]))
    };
    if let Some(status) = status {
        id.insert("a10_estatus".into(), json!(status));
    }
    if r.optional(rng) {
        let p_card = match status {
            Some("sin_documentos" | "turista") => 0.03,
            Some("en_tramite") => 0.5,
            _ => 0.95,
        };
        let card = rng.random_bool(p_card);
        r.has_id_card = Some(card);
        id.insert("a11_cedula".into(), json!(if card { "si" } else { "no" }));
    }
    let tongue = match r.country {
        "haiti" => *weighted(rng, &[("creole", 85.0), ("frances", 10.0), ("espanol", 5.0)]),
        "otro" => *weighted(rng, &[("espanol", 60.0), ("otra", 40.0)]),
        _ => "espanol",
    };
    let asked_tongue = r.optional(rng);
    if asked_tongue {
        id.insert("a12_lengua".into(), json!(tongue));
    }
    // a13 is asked unless a12 says Spanish; without a12 it is answered only when it applies.
    if tongue != "espanol" && r.optional(rng) {
        id.insert("a13_espanol".into(), json!(*weighted(rng, &[("muy_bien", 20.0), ("bien", 30.0), ("poco", 40.0), ("nada", 10.0)])));
    }
    id.insert("a14_resultado".into(), json!("elegible"));
}

/// 66.7 % arrived 2010–2017 with the Census profile [S20, S28], the rest uniformly 1990–2009
/// [ASSUMPTION]; never before birth nor after the interview. A few arrived in their year of
/// birth, the constraint's boundary.
fn arrival_year(rng: &mut StdRng, r: &Respondent) -> i64 {
    let birth_year = r.interview_year - r.age;
    if rng.random_bool(0.01) {
        return birth_year;
    }
    for _ in 0..20 {
        let year = if rng.random_bool(0.667) {
            let mut years: Vec<(i64, f64)> = vec![(2010, 5.1), (2011, 5.9), (2012, 7.6), (2013, 9.3), (2014, 10.6), (2015, 15.0), (2016, 30.9), (2017, 15.6)];
            if r.interview_year >= 2018 {
                years.push((2018, 4.0));
            }
            *weighted(rng, &years)
        } else {
            rng.random_range(1990..=2009)
        };
        if year >= birth_year && year <= r.interview_year {
            return year;
        }
    }
    r.interview_year
}

/// Household size pmf 1: 12 %, 2: 20 %, 3: 25 %, 4: 21 %, 5: 12 %, 6+: 10 % [ASSUMPTION], and a
/// roster consistent with her age. Returns the section and her age at first birth (when she
/// has children), which section E needs.
fn household(rng: &mut StdRng, r: &mut Respondent) -> (Map<String, Value>, Option<i64>) {
    let size: i64 = *weighted(rng, &[(1, 12.0), (2, 20.0), (3, 25.0), (4, 21.0), (5, 12.0), (6, 5.0), (7, 3.0), (8, 1.5), (10, 0.5)]);
    let mut hogar = Map::new();
    hogar.insert("b01_n_personas".into(), json!(size));
    // 20 % of first births before 20 [ASSUMPTION]; the rest between 20 and 40.
    let mother = size > 1 && rng.random_bool(0.75) || rng.random_bool(0.4);
    let first_birth = mother.then(|| {
        if rng.random_bool(0.2) || r.age < 20 {
            rng.random_range(15..=19.min(r.age))
        } else {
            rng.random_range(20..=40.min(r.age))
        }
    });
    let mut members = Vec::new();
    r.partner_at_home = size > 1 && rng.random_bool(0.6);
    if r.partner_at_home {
        let age = (r.age + rng.random_range(-3..=8)).clamp(18, 95);
        let sex = if rng.random_bool(0.97) { "hombre" } else { "mujer" };
        let born_in_chile = rng.random_bool(0.15);
        members.push(member(rng, "pareja", sex, age, born_in_chile));
    }
    while (members.len() as i64) < size - 1 {
        let relation = match first_birth {
            Some(_) => *weighted(rng, &[("hijo", 70.0), ("hermano", 10.0), ("otro_pariente", 10.0), ("no_pariente", 6.0), ("padre_madre", 4.0)]),
            None => *weighted(rng, &[("hermano", 35.0), ("otro_pariente", 30.0), ("no_pariente", 25.0), ("padre_madre", 10.0)]),
        };
        let age = match (relation, first_birth) {
            ("hijo", Some(first)) => rng.random_range(0..=(r.age - first)),
            ("padre_madre", _) => (r.age + rng.random_range(18..=35)).min(100),
            ("hermano", _) => (r.age + rng.random_range(-10..=10)).max(0),
            _ => rng.random_range(0..=80),
        };
        if relation == "hijo" {
            r.children_at_home.push(age);
        }
        // Her children born after she arrived were mostly born in Chile.
        let born_after_arrival = relation == "hijo" && r.interview_year - age > r.arrival_year;
        let born_here = rng.random_bool(if born_after_arrival { 0.85 } else { 0.05 });
        let sex = if rng.random_bool(0.5) { "mujer" } else { "hombre" };
        members.push(member(rng, relation, sex, age, born_here));
    }
    if !members.is_empty() {
        hogar.insert("b_miembros".into(), Value::Array(members));
    }
    if r.optional(rng) {
        r.children_abroad = if first_birth.is_some() && r.age >= 20 { *weighted(rng, &[(0, 70.0), (1, 15.0), (2, 10.0), (3, 5.0)]) } else { 0 };
        hogar.insert("b07_hijos_origen".into(), json!(r.children_abroad));
    }
    (hogar, first_birth)
}

fn member(rng: &mut StdRng, relation: &str, sex: &str, age: i64, born_in_chile: bool) -> Value {
    // Under-6s need care (a "no" is a stored warning, kept rare); some elders do too.
    let care = if age < 6 { rng.random_bool(0.98) } else if age >= 70 { rng.random_bool(0.4) } else { rng.random_bool(0.03) };
    json!({
        "b02_parentesco": relation, "b03_sexo": sex, "b04_edad": age,
        "b05_nacio_chile": if born_in_chile { "si" } else { "no" },
        "b06_cuidados": if care { "si" } else { "no" },
    })
}

/// Mean years of schooling by country (CASEN 2017 [S24]), sd 3 [ASSUMPTION].
fn schooling_years(rng: &mut StdRng, country: &str) -> i64 {
    let mean = match country {
        "peru" => 12.0,
        "colombia" => 12.5,
        "argentina" => 13.2,
        "bolivia" => 10.8,
        "ecuador" => 13.0,
        "venezuela" => 15.4,
        "haiti" => 10.7,
        "rep_dominicana" => 10.6,
        _ => 12.6,
    };
    normal(rng, mean, 3.0).round().clamp(0.0, 25.0) as i64
}

fn work(rng: &mut StdRng, r: &mut Respondent) -> Map<String, Value> {
    let mut trabajo = Map::new();
    let years = schooling_years(rng, r.country);
    let level = match years {
        0 => "ninguno",
        1..=8 => "basica",
        9..=12 => "media",
        13..=15 => if rng.random_bool(0.5) { "tecnico_superior" } else { "universitaria" },
        16..=17 => "universitaria",
        _ => "postgrado",
    };
    trabajo.insert("c01_nivel_educ".into(), json!(level));
    if r.optional(rng) {
        trabajo.insert("c02_anios_esc".into(), json!(years));
    }
    if matches!(level, "tecnico_superior" | "universitaria" | "postgrado") && r.optional(rng) {
        trabajo.insert("c03_titulo_conv".into(), json!(*weighted(rng, &[("si", 30.0), ("en_tramite", 15.0), ("no", 20.0), ("no_intento", 35.0)])));
    }

    // Employment 70 % [ASSUMPTION, S34].
    r.working = rng.random_bool(0.7);
    trabajo.insert("c04_trabajo".into(), json!(if r.working { "si" } else { "no" }));
    let mut labour_income = 0;
    if r.working {
        labour_income = job(rng, r, &mut trabajo, level);
    } else if r.optional(rng) {
        let looked = rng.random_bool(0.35);
        trabajo.insert("c05_busco".into(), json!(if looked { "si" } else { "no" }));
        if !looked && r.optional(rng) {
            let reason = if r.children_at_home.iter().any(|age| *age < 6) {
                *weighted(rng, &[("cuidado", 60.0), ("quehaceres", 15.0), ("documentos", 10.0), ("otra", 15.0)])
            } else {
                *weighted(rng, &[("cuidado", 20.0), ("quehaceres", 20.0), ("estudios", 15.0), ("documentos", 15.0), ("enfermedad", 10.0), ("no_necesita", 10.0), ("otra", 10.0)])
            };
            trabajo.insert("c06_razon_no".into(), json!(reason));
        }
    }

    // Other own income: about half of the women who do not work have some, so that ~15 %
    // have no own income at all [ASSUMPTION].
    let p_other = if r.working { 0.2 } else { 0.5 };
    let mut other_income = 0;
    if rng.random_bool(p_other) {
        let mut sources = Vec::new();
        for (source, p, median) in [("pension", if r.age >= 60 { 0.6 } else { 0.03 }, 150_000.0), ("subsidios", 0.45, 40_000.0),
            ("arriendo", 0.05, 200_000.0), ("apoyo_familiar", 0.4, 100_000.0)]
        {
            if rng.random_bool(p) {
                sources.push(source);
                other_income += round_to(lognormal(rng, median, 0.4), 1000).max(1000);
            }
        }
        if sources.is_empty() {
            sources.push("subsidios");
            other_income += round_to(lognormal(rng, 40_000.0, 0.4), 1000).max(1000);
        }
        trabajo.insert("c13_otros_ingresos".into(), json!(sources));
        trabajo.insert("c14_monto_otros".into(), json!(other_income));
    } else {
        trabajo.insert("c13_otros_ingresos".into(), json!(["ninguno"]));
    }
    r.own_income = labour_income + other_income;
    if r.own_income > 0 {
        let who = if r.partner_at_home {
            *weighted(rng, &[("yo_sola", 55.0), ("yo_y_pareja", 30.0), ("pareja", 8.0), ("otra_persona", 7.0)])
        } else {
            *weighted(rng, &[("yo_sola", 90.0), ("otra_persona", 10.0)])
        };
        trabajo.insert("c16_decide_ingreso".into(), json!(who));
    }
    // CuentaRUT needs a RUT; an account without one is a stored warning, kept rare.
    let p_account = if r.has_id_card == Some(false) { 0.05 } else { 0.65 };
    trabajo.insert("c17_cuenta".into(), json!(if rng.random_bool(p_account) { "si" } else { "no" }));
    trabajo
}

/// Occupation, category, contract, pensions, hours and income of a working respondent;
/// returns her labour income.
fn job(rng: &mut StdRng, r: &mut Respondent, trabajo: &mut Map<String, Value>, level: &str) -> i64 {
    // Domestic and care work 30 %, retail and street vending 20 %, food 15 %, cleaning 10 %,
    // professional 12 %, other 13 % [ASSUMPTION]; live-in is 8 % of domestic work [S32].
    let professional = if matches!(level, "universitaria" | "postgrado") { 30.0 } else { 8.0 };
    let occupation = *weighted(rng, &[
        ("tcp_puertas_afuera", 20.0), ("tcp_puertas_adentro", 2.0), ("cuidadora", 8.0), ("comercio", 13.0),
        ("comercio_ambulante", 7.0), ("gastronomia", 15.0), ("aseo", 10.0), ("profesional_tecnica", professional),
        ("manufactura", 5.0), ("otra", 8.0),
    ]);
    let category = match occupation {
        "tcp_puertas_afuera" | "tcp_puertas_adentro" => "tcp",
        "cuidadora" => *weighted(rng, &[("asalariada", 50.0), ("tcp", 30.0), ("cuenta_propia", 20.0)]),
        "comercio" => *weighted(rng, &[("asalariada", 80.0), ("cuenta_propia", 15.0), ("empleadora", 2.0), ("familiar_no_remunerada", 3.0)]),
        "comercio_ambulante" => *weighted(rng, &[("cuenta_propia", 90.0), ("familiar_no_remunerada", 10.0)]),
        "gastronomia" => *weighted(rng, &[("asalariada", 80.0), ("cuenta_propia", 15.0), ("empleadora", 5.0)]),
        "profesional_tecnica" => *weighted(rng, &[("asalariada", 75.0), ("cuenta_propia", 20.0), ("empleadora", 5.0)]),
        "otra" => *weighted(rng, &[("asalariada", 60.0), ("cuenta_propia", 35.0), ("familiar_no_remunerada", 5.0)]),
        _ => *weighted(rng, &[("asalariada", 88.0), ("cuenta_propia", 12.0)]),
    };
    trabajo.insert("c07_ocupacion".into(), json!(occupation));
    trabajo.insert("c08_categoria".into(), json!(category));
    // No written contract: 49 % of domestic workers [S32], 19.2 % of other migrant employees [S33].
    let mut signed = false;
    if matches!(category, "asalariada" | "tcp") {
        let p_none = if category == "tcp" { 0.49 } else { 0.19 };
        let contract = if rng.random_bool(p_none) {
            *weighted(rng, &[("no", 90.0), ("ns", 10.0)])
        } else {
            *weighted(rng, &[("si_firmado", 92.0), ("si_sin_firmar", 8.0)])
        };
        signed = contract == "si_firmado";
        trabajo.insert("c09_contrato".into(), json!(contract));
    }
    let pensions = if signed {
        *weighted(rng, &[("si", 90.0), ("no", 8.0), ("ns", 2.0)])
    } else {
        *weighted(rng, &[("si", 15.0), ("no", 75.0), ("ns", 10.0)])
    };
    trabajo.insert("c10_cotiza".into(), json!(pensions));

    let hours = match occupation {
        "tcp_puertas_adentro" => rng.random_range(50..=66),
        _ if rng.random_bool(0.2) => rng.random_range(8..=30),
        _ => normal(rng, 44.0, 6.0).round().clamp(31.0, 72.0) as i64,
    };
    r.paid_hours = hours;
    trabajo.insert("c11_horas".into(), json!(hours));
    // Lognormal, median 1.3 × minimum wage ≈ 360,000, sigma 0.55, floor 50,000 [ASSUMPTION];
    // part-time pay pro rata.
    let income = if category == "familiar_no_remunerada" {
        0
    } else {
        let full_time = lognormal(rng, 360_000.0, 0.55);
        let pro_rata = if hours < 31 { full_time * hours as f64 / 44.0 } else { full_time };
        round_to(pro_rata, 1000).clamp(50_000, 10_000_000)
    };
    trabajo.insert("c12_ingreso_trab".into(), json!(income));
    if r.optional(rng) {
        let experiences: Vec<&str> = [("salario_menor", 0.25), ("retencion_documentos", 0.04), ("acoso_sexual", 0.06),
            ("insultos_origen", 0.15), ("jornada_sin_pago", 0.12)]
            .into_iter()
            .filter(|(_, p)| rng.random_bool(*p))
            .map(|(code, _)| code)
            .collect();
        let experiences = if experiences.is_empty() { vec!["ninguna"] } else { experiences };
        trabajo.insert("c18_discrim_lab".into(), json!(experiences));
    }
    income
}

/// Household income in the bands of migrant women's households [S25] (< 486,000: 38.4 %,
/// 486,000–810,000: 36.3 %, above: 25.3 %), never below her own income; a one-person
/// household's income is hers, the constraint's boundary.
fn household_income(rng: &mut StdRng, r: &Respondent, hogar: &Map<String, Value>, trabajo: &mut Map<String, Value>) {
    let alone = hogar.get("b01_n_personas").and_then(Value::as_i64) == Some(1);
    let income = if alone {
        r.own_income
    } else {
        let band = match *weighted(rng, &[(0, 38.4), (1, 36.3), (2, 25.3)]) {
            0 => rng.random_range(150_000..486_000),
            1 => rng.random_range(486_000..810_000),
            _ => round_to(810_000.0 + lognormal(rng, 300_000.0, 0.9), 1000),
        };
        (band / 1000 * 1000).max(r.own_income + round_to(lognormal(rng, 250_000.0, 0.6), 1000))
    };
    trabajo.insert("c15_ingreso_hogar".into(), json!(income.min(50_000_000)));
}

/// Remittances, mostly within her own income (more is a stored warning, kept rare).
fn remittances(rng: &mut StdRng, r: &Respondent, hogar: &mut Map<String, Value>) {
    let sends = rng.random_bool(if r.own_income > 0 { 0.5 } else { 0.1 });
    hogar.insert("b08_remesas".into(), json!(if sends { "si" } else { "no" }));
    if sends && r.optional(rng) {
        let share = rng.random_range(0.05..0.35);
        let amount = round_to(r.own_income as f64 * share, 1000).max(10_000);
        hogar.insert("b09_monto_remesas".into(), json!(amount.min(3_000_000)));
    }
}

/// Unpaid hours: gamma(k = 3, θ = 1.96), mean 5.9 h a day (ENUT 2015 [S11]) [ASSUMPTION on
/// shape], in half hours, split between housework and care (more care with young children);
/// with paid work (weekly hours / 5) the day never exceeds 24 hours.
fn time_use(rng: &mut StdRng, r: &Respondent) -> Map<String, Value> {
    let paid = if r.working { r.paid_hours as f64 / 5.0 } else { 0.0 };
    // What is left of the day, in whole half hours.
    let room = ((24.0 - paid) * 2.0).floor() / 2.0;
    let total = if rng.random_bool(0.005) {
        // A full day exactly: the constraint's boundary.
        room
    } else {
        let gamma = -1.96 * (0..3).map(|_| rng.random::<f64>().max(f64::MIN_POSITIVE).ln()).sum::<f64>();
        (gamma * 2.0).round() / 2.0
    };
    let total = total.min(room).min(36.0);
    let care_share = if r.children_at_home.iter().any(|age| *age < 15) { rng.random_range(0.3..0.6) } else { rng.random_range(0.0..0.15) };
    let care = ((total * care_share * 2.0).round() / 2.0).min(18.0);
    let domestic = (total - care).min(18.0);
    let mut tiempo = Map::new();
    tiempo.insert("d01_h_domestico".into(), json!(domestic));
    tiempo.insert("d02_h_cuidado".into(), json!(care));
    if r.partner_at_home && r.optional(rng) {
        tiempo.insert("d03_comparte".into(), json!(*weighted(rng, &[("iguales", 15.0), ("algo", 45.0), ("nada", 40.0)])));
    }
    tiempo
}

fn health(rng: &mut StdRng, r: &Respondent, first_birth: Option<i64>) -> Map<String, Value> {
    let mut salud = Map::new();
    salud.insert("e01_prevision".into(), json!(*weighted(rng, &[("fonasa", 70.0), ("isapre", 8.0), ("ffaa", 1.0), ("ninguno", 15.0), ("ns", 6.0)])));
    salud.insert("e02_atencion_negada".into(), json!(*weighted(rng, &[("si", 12.0), ("no", 58.0), ("no_necesito", 30.0)])));
    // Live births: her children at home and abroad, and some grown up or living elsewhere.
    let births = match first_birth {
        Some(_) => (r.children_at_home.len() as i64 + r.children_abroad).max(1) + *weighted(rng, &[(0, 60.0), (1, 25.0), (2, 15.0)]),
        None => 0,
    };
    salud.insert("e03_hijos_nv".into(), json!(births.min(20)));
    if let Some(age) = first_birth {
        salud.insert("e04_edad_1er_hijo".into(), json!(age));
    }
    let mut pregnant = false;
    if r.age <= 55 && r.optional(rng) {
        let answer = if r.age <= 45 { *weighted(rng, &[("si", 5.0), ("no", 94.0), ("ns", 1.0)]) } else { "no" };
        pregnant = answer == "si";
        salud.insert("e05_embarazada".into(), json!(answer));
        if pregnant && r.optional(rng) {
            salud.insert("e06_control_prenatal".into(), json!(if rng.random_bool(0.85) { "si" } else { "no" }));
        }
    }
    if r.age <= 49 && !pregnant {
        let uses = *weighted(rng, &[("si", 60.0), ("no", 35.0), ("pnr", 5.0)]);
        salud.insert("e07_anticonc".into(), json!(uses));
        match uses {
            "si" => {
                let method = *weighted(rng, &[("pildora", 25.0), ("inyeccion", 15.0), ("implante", 10.0), ("diu", 15.0), ("condon", 15.0),
                    ("esterilizacion", 10.0), ("natural_retiro", 7.0), ("otro", 3.0)]);
                salud.insert("e08_metodo".into(), json!(method));
            }
            "no" => {
                salud.insert("e09_deseo_hijo".into(), json!(*weighted(rng, &[("si", 25.0), ("no", 55.0), ("ns", 20.0)])));
            }
            _ => {}
        }
    }
    salud
}

/// Section F opens when the interviewer finds privacy (88 % [ASSUMPTION]). Rates among women
/// with a partner: psychological 20.2 %, physical 4.3 % (ENVIF 2017 [S13]), sexual 1.8 %
/// (2012 [S15]), economic 8 % [ASSUMPTION]; ~30 % sought help [S13]; 30 % report
/// discrimination for their origin [S19]; a few decline each item.
fn violence(rng: &mut StdRng, r: &Respondent) -> Map<String, Value> {
    let mut f = Map::new();
    let private = rng.random_bool(0.88);
    f.insert("f00_privacidad".into(), json!(if private { "si" } else { "no" }));
    if !private {
        return f;
    }
    let partner = if r.partner_at_home {
        if rng.random_bool(0.97) { "actual" } else { "ex_pareja" }
    } else {
        *weighted(rng, &[("no", 70.0), ("actual", 15.0), ("ex_pareja", 15.0)])
    };
    f.insert("f01_pareja".into(), json!(partner));
    let mut any = false;
    if partner != "no" {
        let psychological = yes_no_pnr(rng, 0.202, 0.03);
        // Physical violence rarely comes without psychological violence.
        let physical = yes_no_pnr(rng, if psychological == "si" { 0.15 } else { 0.015 }, 0.03);
        let sexual = yes_no_pnr(rng, if physical == "si" { 0.2 } else { 0.01 }, 0.03);
        let economic = yes_no_pnr(rng, 0.08, 0.03);
        f.insert("f02_v_psico".into(), json!(psychological));
        f.insert("f03_v_fisica".into(), json!(physical));
        f.insert("f04_v_sexual".into(), json!(sexual));
        let asked_economic = r.optional(rng);
        if asked_economic {
            f.insert("f05_v_economica".into(), json!(economic));
        }
        any = [psychological, physical, sexual].contains(&"si") || asked_economic && economic == "si";
    }
    if any && r.optional(rng) {
        let reported = rng.random_bool(0.3);
        f.insert("f06_denuncio".into(), json!(if reported { "si" } else { "no" }));
        if !reported && r.optional(rng) {
            let mut reasons: Vec<&str> = [("no_serio", 0.44), ("mejoraron", 0.32), ("miedo", 0.14), ("verguenza", 0.1), ("no_sirve", 0.1),
                ("temor_migratorio", 0.15), ("no_sabia_donde", 0.12)]
                .into_iter()
                .filter(|(_, p)| rng.random_bool(*p))
                .map(|(code, _)| code)
                .collect();
            if reasons.is_empty() {
                reasons.push("no_serio");
            }
            f.insert("f07_razon_no_den".into(), json!(reasons));
        }
    }
    if r.optional(rng) {
        f.insert("f08_acoso_publico".into(), json!(yes_no_pnr(rng, 0.25, 0.02)));
    }
    f.insert("f09_discrim_origen".into(), json!(yes_no_pnr(rng, 0.30, 0.02)));
    f.insert("f10_conoce_serv".into(), json!(if rng.random_bool(0.6) { "si" } else { "no" }));
    f
}

fn yes_no_pnr(rng: &mut StdRng, p_yes: f64, p_declined: f64) -> &'static str {
    let x = rng.random::<f64>();
    if x < p_yes {
        "si"
    } else if x < p_yes + p_declined {
        "pnr"
    } else {
        "no"
    }
}

fn round_to(value: f64, step: i64) -> i64 {
    (value / step as f64).round() as i64 * step
}

#[cfg(test)]
mod tests {
    use campo_sdk::{Input, Logic, Severity};
    use rand::SeedableRng;

    use super::*;

    const MANIFEST: &str = include_str!("../mujeres-migrantes-rm/manifest.json");
    const SCHEMA: &str = include_str!("../mujeres-migrantes-rm/schemas/cuestionario.schema.json");

    /// The server's acceptance rule for a logic result (sdk/ABI.md).
    fn refusals(answers: &Value, logic: &Logic) -> Vec<String> {
        let answered = |path: &str| {
            answers.pointer(path).is_some_and(|v| match v {
                Value::Null => false,
                Value::String(s) => !s.trim().is_empty(),
                Value::Array(items) => !items.is_empty(),
                Value::Object(map) => !map.is_empty(),
                _ => true,
            })
        };
        let mut refused: Vec<String> = logic.issues.iter().filter(|i| i.severity == Severity::Error).map(|i| format!("{} {}", i.path, i.code)).collect();
        for (path, state) in &logic.fields {
            if !logic.is_relevant(path) && answered(path) {
                refused.push(format!("{path} answered but not relevant"));
            }
            if state.required && logic.is_relevant(path) && !answered(path) {
                refused.push(format!("{path} required but missing"));
            }
        }
        for (path, value) in &logic.computed {
            if answers.pointer(path) != Some(value) {
                refused.push(format!("{path} is {:?}, the plugin computes {value}", answers.pointer(path)));
            }
        }
        refused
    }

    #[test]
    fn generated_interviews_pass_the_schema_and_the_logic_plugin() {
        let manifest: Value = serde_json::from_str(MANIFEST).unwrap();
        let settings = manifest["settings"].clone();
        let schema: Value = serde_json::from_str(SCHEMA).unwrap();
        let validator = jsonschema::draft202012::options().should_validate_formats(true).build(&schema).unwrap();
        let mut seen = std::collections::BTreeMap::<&str, usize>::new();
        for seed in [1, 2, 3, 2017] {
            let mut rng = StdRng::seed_from_u64(seed);
            for n in 0..2_000 {
                let answers = answers("cuestionario", &mut rng).unwrap();
                let errors: Vec<String> = validator.iter_errors(&answers).map(|e| format!("{}: {e}", e.instance_path())).collect();
                assert!(errors.is_empty(), "seed {seed} #{n}: schema {errors:?}\n{answers:#}");
                let mut logic = Logic::default();
                mujeres_migrantes_logic::logic(&Input::new(answers.clone()).with_settings(settings.clone()), &mut logic);
                let refused = refusals(&answers, &logic);
                assert!(refused.is_empty(), "seed {seed} #{n}: {refused:?}\n{answers:#}");

                let at = |path: &str| answers.pointer(path);
                let mut count = |key: &'static str, hit: bool| *seen.entry(key).or_default() += usize::from(hit);
                count("declined", at("/identificacion/a14_resultado") == Some(&json!("rechaza")));
                count("under age", at("/identificacion/a14_resultado") == Some(&json!("no_elegible_edad")));
                count("born in Chile", at("/identificacion/a14_resultado") == Some(&json!("no_elegible_nacida_en_chile")));
                count("eligible", at("/identificacion/a14_resultado") == Some(&json!("elegible")));
                count("aged 18", at("/identificacion/a05_edad") == Some(&json!(18)));
                count("no privacy", at("/violencia/f00_privacidad") == Some(&json!("no")));
                count("no partner", at("/violencia/f01_pareja") == Some(&json!("no")));
                count("alone", at("/hogar/b01_n_personas") == Some(&json!(1)));
                count("declined an item", answers.to_string().contains("\"pnr\""));
                count("working", at("/trabajo/c04_trabajo") == Some(&json!("si")));
                count("no own income", at("/trabajo/c04_trabajo") == Some(&json!("no")) && at("/trabajo/c13_otros_ingresos") == Some(&json!(["ninguno"])));
                count("arrived in birth year", matches!((at("/identificacion/a02_fecha"), at("/identificacion/a05_edad"), at("/identificacion/a08_anio_llegada")),
                    (Some(d), Some(a), Some(y)) if d.as_str().unwrap()[..4].parse::<i64>().unwrap() - a.as_i64().unwrap() == y.as_i64().unwrap()));
                count("warned", logic.issues.iter().any(|i| i.severity == Severity::Warning));
                count("2018 minimum wage", at("/identificacion/a02_fecha").and_then(Value::as_str).is_some_and(|d| d.starts_with("2018")));
            }
        }
        // 8,000 interviews: every path is taken, and the main shares are near the notes'.
        for path in ["declined", "under age", "born in Chile", "aged 18", "no privacy", "no partner", "alone", "declined an item",
            "no own income", "arrived in birth year", "warned", "2018 minimum wage"]
        {
            assert!(seen.get(path).copied().unwrap_or(0) > 10, "{path}: {seen:?}");
        }
        let eligible = seen["eligible"] as f64;
        let share = |key: &str| seen[key] as f64 / eligible;
        assert!((0.66..0.74).contains(&share("working")), "{seen:?}");
        assert!((0.10..0.20).contains(&share("no own income")), "{seen:?}");
        assert!((0.09..0.15).contains(&share("alone")), "{seen:?}");
    }

    #[test]
    fn the_same_seed_gives_the_same_interviews() {
        let draw = |seed| {
            let mut rng = StdRng::seed_from_u64(seed);
            (0..20).map(|_| answers("cuestionario", &mut rng).unwrap()).collect::<Vec<_>>()
        };
        assert_eq!(draw(7), draw(7));
        assert_ne!(draw(7), draw(8));
    }
}

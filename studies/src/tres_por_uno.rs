//! Generator for the seed study `3x1-migrantes` (research notes §3.2): project records and
//! beneficiary interviews that pass the forms' schemas and the study's logic plugin, with the
//! edge cases the rules care about (rejected rulings, cancelled projects, no quarterly report
//! yet, interviews ending at q02, a Toma de Nota exactly two years old, clubs of exactly ten,
//! families at 5/2/4/1).

use rand::{Rng, rngs::StdRng};
use serde_json::{Value, json};
use time::{Date, Duration, Month};

use campo_gen::{lognormal, normal, weighted};

/// The study's own generator.
pub struct Generator;

impl campo_gen::StudyGenerator for Generator {
    fn study(&self) -> &str {
        "3x1-migrantes"
    }

    fn forms(&self) -> &[&str] {
        &["proyecto", "beneficiario"]
    }

    fn answers(&self, form: &str, rng: &mut StdRng) -> Option<Value> {
        answers(form, rng)
    }
}

fn answers(form: &str, rng: &mut StdRng) -> Option<Value> {
    match form {
        "proyecto" => Some(proyecto(rng)),
        "beneficiario" => Some(beneficiario(rng)),
        _ => None,
    }
}

// ------------------------------------------------------------------------------------------------
// proyecto

/// (code, INEGI code, municipalities, weight). Weights are the 2007 shares of 3x1 investment [T8];
/// Zacatecas, truncated in the source, gets 15 % of the total [ASSUMPTION]; states with no 3x1
/// works in 2007 get 0.2 so every state appears now and then.
const ENTIDADES: &[(&str, &str, u32, f64)] = &[
    ("aguascalientes", "01", 11, 1.3), ("baja_california", "02", 5, 0.2), ("baja_california_sur", "03", 5, 0.2),
    ("campeche", "04", 11, 0.3), ("coahuila", "05", 38, 0.2), ("colima", "06", 10, 0.4), ("chiapas", "07", 118, 1.6),
    ("chihuahua", "08", 67, 0.7), ("ciudad_de_mexico", "09", 16, 0.2), ("durango", "10", 39, 1.2),
    ("guanajuato", "11", 46, 13.6), ("guerrero", "12", 81, 1.6), ("hidalgo", "13", 84, 2.3), ("jalisco", "14", 125, 25.2),
    ("mexico", "15", 125, 0.2), ("michoacan", "16", 113, 13.5), ("morelos", "17", 33, 0.7), ("nayarit", "18", 20, 7.7),
    ("nuevo_leon", "19", 51, 2.0), ("oaxaca", "20", 570, 5.4), ("puebla", "21", 217, 2.4), ("queretaro", "22", 18, 1.2),
    ("quintana_roo", "23", 10, 0.1), ("san_luis_potosi", "24", 58, 11.5), ("sinaloa", "25", 18, 1.5), ("sonora", "26", 72, 0.4),
    ("tabasco", "27", 17, 0.2), ("tamaulipas", "28", 43, 0.3), ("tlaxcala", "29", 60, 1.3), ("veracruz", "30", 212, 1.4),
    ("yucatan", "31", 106, 1.8), ("zacatecas", "32", 58, 17.8),
];

const LOCALIDADES: &[&str] = &[
    "San José de Gracia", "Santa María de los Ángeles", "El Refugio", "La Purísima", "San Miguel el Alto", "Guadalupe Victoria",
    "El Saucito", "Santa Rita", "Ojo de Agua", "San Juan Bautista", "La Estancia", "El Tepetate", "San Antonio de los Ríos",
    "Las Ánimas", "La Labor", "Tierra Blanca", "El Salitre", "San Pedro Piedra Gorda",
];

/// Where clubs live [ASSUMPTION]: mostly California, Illinois and Texas.
const ESTADOS_CLUB: &[(&str, &str, f64)] = &[
    ("california", "California", 40.0), ("illinois", "Illinois", 18.0), ("texas", "Texas", 14.0), ("arizona", "Arizona", 5.0),
    ("nevada", "Nevada", 4.0), ("colorado", "Colorado", 3.0), ("nueva_york", "Nueva York", 3.0), ("georgia", "Georgia", 2.0),
    ("florida", "Florida", 2.0), ("washington", "Washington", 2.0), ("oregon", "Oregón", 2.0),
    ("carolina_del_norte", "Carolina del Norte", 1.0), ("otro_eua", "Estados Unidos", 2.0), ("canada", "Canadá", 1.5),
    ("otro_pais", "el extranjero", 0.5),
];

/// Project type mix [ASSUMPTION, §3.2]: infrastructure 65 %, services 15 %, educational 8 %,
/// productive 12 % (community 5, family 4, individual 3).
const TIPOS: &[(&str, f64)] = &[
    ("infraestructura_social", 65.0), ("servicios_comunitarios", 15.0), ("educativo", 8.0),
    ("productivo_comunitario", 5.0), ("productivo_familiar", 4.0), ("productivo_individual", 3.0),
];

/// Annual amount of a 3x1 scholarship by level, MXN (a Jalisco municipality, 2012 [T18]).
const BECAS: &[(&str, f64)] = &[("primaria", 2_000.0), ("secundaria", 4_000.0), ("bachillerato", 8_000.0), ("licenciatura", 12_000.0)];

/// The four parties' shares, in the order federal, state, municipal, migrants, others.
type Mezcla = [f64; 5];

fn proyecto(rng: &mut StdRng) -> Value {
    let ejercicio: i32 = rng.random_range(2007..=2019);
    let solicitud = if rng.random_bool(0.3) {
        fecha(ejercicio - 1, rng.random_range(10..=12), rng.random_range(1..=28))
    } else {
        fecha(ejercicio, rng.random_range(1..=3), rng.random_range(1..=28))
    };
    let &(entidad, clave, municipios, _) = weighted(rng, &ENTIDADES.iter().map(|e| (*e, e.3)).collect::<Vec<_>>());
    let localidad = LOCALIDADES[rng.random_range(0..LOCALIDADES.len())];
    let tipo = *weighted(rng, TIPOS);
    let folio = format!("3x1-{ejercicio}-{clave}-{:05}", rng.random_range(1..=99_999));

    let mut respuestas = json!({
        "solicitud": {"p01_folio": folio, "p02_ejercicio": ejercicio, "p03_fecha_solicitud": texto(solicitud)},
        "ubicacion": {
            "p04_entidad": entidad,
            "p05_municipio": format!("{clave}{:03}", rng.random_range(1..=municipios)),
            "p06_localidad": localidad,
            "p07_marginacion": weighted(rng, &[("muy_bajo", 0.08), ("bajo", 0.12), ("medio", 0.25), ("alto", 0.35), ("muy_alto", 0.20)]),
        },
        "club": club(rng, entidad, localidad, solicitud),
        "caracteristicas": caracteristicas(rng, tipo, ejercicio),
    });

    // From 2017 the COVAM sits April–June [T5]; one session in ten falls later (a warning).
    let meses = if ejercicio >= 2017 && rng.random_bool(0.9) { 4..=6 } else { 4..=9 };
    let sesion = fecha(ejercicio, rng.random_range(meses), rng.random_range(1..=28));
    let dictamen = *weighted(rng, &[("aprobado", 0.75), ("aprobado_condiciones", 0.10), ("rechazado", 0.15)]);
    respuestas["covam"] = json!({"p21_covam_fecha": texto(sesion), "p22_dictamen": dictamen});
    if dictamen == "rechazado" {
        return respuestas;
    }

    let estatus = *weighted(rng, &[("concluido", 0.80), ("en_ejecucion", 0.10), ("cancelado", 0.05), ("aprobado", 0.03), ("en_validacion", 0.02)]);
    let convenio = sesion + Duration::days(rng.random_range(5..=60));
    respuestas["convenio"] = aportaciones_y_beneficiarios(rng, tipo, &respuestas["caracteristicas"]);
    let con_convenio = match estatus {
        "en_validacion" => false,
        "cancelado" => rng.random_bool(0.5),
        _ => true,
    };
    if con_convenio {
        respuestas["convenio"]["p23_convenio_fecha"] = json!(texto(convenio));
    }
    respuestas["seguimiento"] = seguimiento(rng, estatus, convenio);
    respuestas
}

fn club(rng: &mut StdRng, entidad: &str, localidad: &str, solicitud: Date) -> Value {
    // A Toma de Nota 0–24 months old [T3]; the boundaries (issued that day, exactly two years
    // before) on purpose. Application days are ≤ 28, so "two years before" is the same day.
    let vencimiento = fecha(solicitud.year() - 2, solicitud.month() as u8, solicitud.day());
    let edad_dias = match rng.random_range(0..100) {
        0..=2 => (solicitud - vencimiento).whole_days(),
        3..=5 => 0,
        _ => rng.random_range(0..=(solicitud - vencimiento).whole_days()),
    };
    let toma = solicitud - Duration::days(edad_dias);
    // Clubs of 10–150 members, median 25 [ASSUMPTION]; the minimum of 10 [T4] now and then.
    let socios = if rng.random_bool(0.03) { 10 } else { lognormal(rng, 25.0, 0.65).round().clamp(10.0, 150.0) as i64 };
    let &(estado, nombre_estado, _) = weighted(rng, &ESTADOS_CLUB.iter().map(|e| (*e, e.2)).collect::<Vec<_>>());
    let nombre = match rng.random_range(0..4) {
        0 => format!("Club Social {localidad}"),
        1 => format!("Club Hijos de {localidad}"),
        2 => format!("Club Unidos por {localidad}"),
        _ => format!("Club {localidad} de {nombre_estado}"),
    };
    let mut club = json!({
        "p08_club": nombre,
        "p10_club_estado_ext": estado,
        "p11_tn_folio": format!("TN-{}-{:04}", toma.year(), rng.random_range(1..=9999)),
        "p12_tn_tipo": if rng.random_bool(0.55) { "renovada" } else { "nueva" },
        "p13_tn_fecha": texto(toma),
        "p14_n_socios": socios,
    });
    if rng.random_bool(0.7) {
        club["p09_federacion"] = json!(format!("Federación de Clubes {} de {nombre_estado}", gentilicio(entidad)));
    }
    club
}

fn gentilicio(entidad: &str) -> &'static str {
    match entidad {
        "zacatecas" => "Zacatecanos",
        "jalisco" => "Jaliscienses",
        "michoacan" => "Michoacanos",
        "guanajuato" => "Guanajuatenses",
        "san_luis_potosi" => "Potosinos",
        "nayarit" => "Nayaritas",
        "oaxaca" => "Oaxaqueños",
        "puebla" => "Poblanos",
        "durango" => "Duranguenses",
        _ => "Mexicanos",
    }
}

fn caracteristicas(rng: &mut StdRng, tipo: &str, ejercicio: i32) -> Value {
    let subtipo = match tipo {
        "infraestructura_social" => weighted(rng, &[("agua_drenaje_electrificacion", 35.0), ("aulas_clinicas_espacios", 15.0), ("caminos_puentes", 15.0), ("calles_parques", 30.0), ("medio_ambiente", 5.0)]).to_string(),
        "servicios_comunitarios" => weighted(rng, &[("becas", 40.0), ("cultura_recreacion", 25.0), ("desarrollo_comunitario", 35.0)]).to_string(),
        "educativo" => weighted(rng, &[("equipamiento_escolar", 1.0), ("mejoramiento_escolar", 1.0)]).to_string(),
        productivo => {
            let giro = weighted(rng, &[("agropecuario", 50.0), ("transformacion", 20.0), ("comercio_servicios", 30.0)]);
            format!("{giro}_{}", productivo.trim_start_matches("productivo_"))
        }
    };
    let mut c = json!({"p15_tipo": tipo, "p16_subtipo": subtipo});
    // Families by productive type [T1, T2], the boundaries 5, 2, 4 and 1 included.
    let familias = match tipo {
        "productivo_comunitario" if rng.random_bool(0.2) => Some(5),
        "productivo_comunitario" => Some(rng.random_range(5..=30)),
        "productivo_familiar" => Some(rng.random_range(2..=4)),
        "productivo_individual" => Some(1),
        _ => None,
    };
    if let Some(f) = familias {
        c["p17_n_familias"] = json!(f);
    }
    if subtipo == "becas" {
        c["p18_n_becas"] = json!(rng.random_range(10..=120));
        let mut niveles: Vec<&str> = BECAS.iter().map(|(n, _)| *n).filter(|_| rng.random_bool(0.5)).collect();
        if niveles.is_empty() {
            niveles.push("secundaria");
        }
        c["p19_nivel_beca"] = json!(niveles);
    }
    if tipo == "infraestructura_social" {
        // Mandatory from 2017 [T5]; most works had one before.
        let tiene = ejercicio >= 2017 || rng.random_bool(0.85);
        c["p20_exp_tecnico"] = json!(if tiene { "si" } else { "no" });
    }
    c
}

/// Contributions, the computed total and the beneficiaries of an approved project.
fn aportaciones_y_beneficiarios(rng: &mut StdRng, tipo: &str, c: &Value) -> Value {
    let productivo = tipo.starts_with("productivo");
    let n_becas = c["p18_n_becas"].as_i64();
    let costo = match (tipo, n_becas) {
        (_, Some(n)) => {
            let niveles: Vec<f64> = c["p19_nivel_beca"].as_array().into_iter().flatten()
                .filter_map(|n| BECAS.iter().find(|(nivel, _)| Some(*nivel) == n.as_str()).map(|(_, monto)| *monto))
                .collect();
            n as f64 * niveles.iter().sum::<f64>() / niveles.len() as f64
        }
        // Infrastructure: median MXN 900 k (Campeche 2016 [T15]), 90th percentile ≈ 3.5 M (SLP [T17]).
        ("infraestructura_social", _) => lognormal(rng, 900_000.0, 1.06),
        // Productive: median 400 k, mean ≈ 537 k (Puebla [T16]).
        _ if productivo => lognormal(rng, 400_000.0, 0.77),
        // Other services and educational projects [ASSUMPTION].
        _ => lognormal(rng, 600_000.0, 0.8),
    }
    .clamp(10_000.0, 40_000_000.0)
    .round();

    let (esperada, tope): (Mezcla, f64) =
        if productivo { ([0.5, 0.0, 0.0, 0.5, 0.0], 250_000.0) } else { ([0.25, 0.25, 0.25, 0.25, 0.0], 1_000_000.0) };
    let (mezcla, respeta_tope) = mezcla(rng, esperada, productivo);
    let montos = montos(costo, mezcla, if respeta_tope { Some(tope) } else { None });
    let total: i64 = montos.iter().sum();

    // Beneficiaries: works median 200, mean ≈ 244 (Campeche [T15]); productive: families × 4
    // [ASSUMPTION]; scholarships: one per scholarship (the p30 ≥ p18 boundary).
    let beneficiarios = match (n_becas, c["p17_n_familias"].as_i64()) {
        (Some(n), _) => n,
        (_, Some(familias)) => familias * 4,
        _ if tipo == "infraestructura_social" => lognormal(rng, 200.0, 0.63).round().clamp(1.0, 50_000.0) as i64,
        _ => lognormal(rng, 150.0, 0.7).round().clamp(1.0, 50_000.0) as i64,
    };
    let mujeres = ((beneficiarios as f64) * rng.random_range(0.45..0.55)).round().min(beneficiarios as f64) as i64;

    let mut convenio = json!({
        "p24_ap_federal": montos[0], "p25_ap_estatal": montos[1], "p26_ap_municipal": montos[2], "p27_ap_migrantes": montos[3],
        "p29_total": total, "p30_benef_directos": beneficiarios, "p31_benef_mujeres": mujeres,
    });
    if montos[4] > 0 {
        convenio["p28_ap_otros"] = json!(montos[4]);
    } else if rng.random_bool(0.3) {
        convenio["p28_ap_otros"] = json!(0);
    }
    convenio
}

/// Shares per §3.2 [ASSUMPTION on proportions, patterns from the 2007 annex T8]: 75 % the
/// expected mix (±1 pp), 20 % one party off by 5–15 pp, 5 % extreme (a government puts nothing
/// in, or the federation pays over 60 %); "others/credit" in 3 %. Returns whether the federal
/// cap is kept (extreme mixes may break it: a warning).
fn mezcla(rng: &mut StdRng, esperada: Mezcla, productivo: bool) -> (Mezcla, bool) {
    let mut s = esperada;
    let mut respeta_tope = true;
    match rng.random_range(0..100) {
        0..75 => {
            for share in s.iter_mut().filter(|v| **v > 0.0) {
                *share += rng.random_range(-0.01..=0.01);
            }
        }
        75..95 => {
            let partes: &[usize] = if productivo { &[0, 3] } else { &[0, 1, 2, 3] };
            let i = partes[rng.random_range(0..partes.len())];
            let delta = rng.random_range(0.05..=0.15) * if rng.random_bool(0.5) { 1.0 } else { -1.0 };
            let valor = (s[i] + delta).max(0.02);
            fijar(&mut s, i, valor);
        }
        _ if !productivo && rng.random_bool(0.5) => {
            fijar(&mut s, rng.random_range(0..3), 0.0);
            respeta_tope = false;
        }
        _ => {
            fijar(&mut s, 0, rng.random_range(0.6..=0.95));
            respeta_tope = false;
        }
    }
    if rng.random_bool(0.03) {
        let otros = rng.random_range(0.01..=0.05);
        s.iter_mut().for_each(|v| *v *= 1.0 - otros);
        s[4] = otros;
    }
    let suma: f64 = s.iter().sum();
    (s.map(|v| v / suma), respeta_tope)
}

/// Sets share `i` and rescales the other parties so the shares still add up to 1.
fn fijar(s: &mut Mezcla, i: usize, valor: f64) {
    let resto: f64 = s.iter().enumerate().filter(|(j, _)| *j != i).map(|(_, v)| v).sum();
    for (j, v) in s.iter_mut().enumerate() {
        if j != i && resto > 0.0 {
            *v *= (1.0 - valor) / resto;
        }
    }
    s[i] = valor;
}

/// Whole-peso amounts adding up to `costo`; the migrants take the rounding remainder (and stay
/// above zero). With a cap, federal money above it is covered by the other parties pro rata.
fn montos(costo: f64, mezcla: Mezcla, tope: Option<f64>) -> [i64; 5] {
    let mut m = mezcla.map(|s| s * costo);
    if let Some(tope) = tope.filter(|t| m[0] > *t) {
        let exceso = m[0] - tope;
        m[0] = tope;
        let resto: f64 = m[1..].iter().sum();
        m[1..].iter_mut().for_each(|v| *v += exceso * *v / resto);
    }
    let mut enteros = m.map(|v| v.round() as i64);
    let costo = costo as i64;
    enteros[3] = (costo - enteros[0] - enteros[1] - enteros[2] - enteros[4]).max(1);
    enteros
}

/// Status [ASSUMPTION]: concluded 80 %, in progress 10 %, cancelled 5 %, approved but not started
/// 3 %, agreement pending 2 %. Dates follow the agreement; progress per §3.2.
fn seguimiento(rng: &mut StdRng, estatus: &str, convenio: Date) -> Value {
    let mut s = json!({"p32_estatus": estatus});
    if !matches!(estatus, "en_ejecucion" | "concluido") {
        return s;
    }
    let inicio = convenio + Duration::days(rng.random_range(0..=60));
    let duracion = rng.random_range(60..=300);
    let fin_programado = inicio + Duration::days(duracion);
    s["p33_fecha_inicio"] = json!(texto(inicio));
    s["p34_fecha_fin_prog"] = json!(texto(fin_programado));
    let (fisico, financiero, hasta) = if estatus == "concluido" {
        let real = inicio + Duration::days((duracion as f64 * rng.random_range(0.7..1.4)).round() as i64);
        s["p37_fecha_fin_real"] = json!(texto(real));
        let financiero = if rng.random_bool(0.85) { 100.0 } else { decimal(rng.random_range(90.0..100.0)) };
        (100.0, financiero, real)
    } else {
        let fisico = decimal(rng.random_range(20.0..=95.0));
        let financiero = decimal((fisico + rng.random_range(-10.0..=10.0)).clamp(0.0, 100.0));
        (fisico, financiero, inicio + Duration::days(rng.random_range(30..=duracion)))
    };
    s["p35_avance_fisico"] = json!(fisico);
    s["p36_avance_fin"] = json!(financiero);
    s["p38_reportes"] = json!(reportes(rng, inicio, hasta, fisico, financiero));
    s
}

/// Cumulative quarterly reports [T7] from the start's quarter to `hasta`'s, progress rising to
/// the current values; one project in ten has not reported yet.
fn reportes(rng: &mut StdRng, inicio: Date, hasta: Date, fisico: f64, financiero: f64) -> Vec<Value> {
    if rng.random_bool(0.1) {
        return Vec::new();
    }
    let trimestre = |d: Date| d.year() * 4 + (d.month() as i32 - 1) / 3;
    let n = (trimestre(hasta) - trimestre(inicio) + 1).clamp(1, 24) as usize;
    // Roughly linear towards the final value, never falling, the last report at it.
    let crecientes = |rng: &mut StdRng, final_: f64| {
        let mut v: Vec<f64> = Vec::with_capacity(n);
        for i in 0..n {
            let camino = final_ * (i + 1) as f64 / n as f64 * rng.random_range(0.75..=1.0);
            v.push(decimal(camino).max(v.last().copied().unwrap_or(0.0)).min(final_));
        }
        v[n - 1] = final_;
        v
    };
    let (f, fin) = (crecientes(rng, fisico), crecientes(rng, financiero));
    (0..n)
        .map(|i| {
            let t = trimestre(inicio) + i as i32;
            json!({"trimestre": format!("{}-T{}", t / 4, t % 4 + 1), "avance_fisico": f[i], "avance_financiero": fin[i]})
        })
        .collect()
}

// ------------------------------------------------------------------------------------------------
// beneficiario

fn beneficiario(rng: &mut StdRng) -> Value {
    let tipo = *weighted(rng, TIPOS);
    let &(_, clave, _, _) = weighted(rng, &ENTIDADES.iter().map(|e| (*e, e.3)).collect::<Vec<_>>());
    let mut r = json!({
        "q01_folio_proyecto": format!("3x1-{}-{clave}-{:05}", rng.random_range(2007..=2019), rng.random_range(1..=99_999)),
        "q01b_tipo_proyecto": tipo,
        "q02_conoce": if rng.random_bool(0.92) { "si" } else { "no" },
    });
    if r["q02_conoce"] == "no" {
        return r;
    }
    let uso = *weighted(rng, &[("diario", 30.0), ("semanal", 30.0), ("mensual", 20.0), ("rara_vez", 12.0), ("nunca", 8.0)]);
    let personas = *weighted(rng, &[(1, 6.0), (2, 12.0), (3, 20.0), (4, 24.0), (5, 18.0), (6, 10.0), (7, 6.0), (8, 3.0), (10, 1.0)]);
    r["q03_sabe_3x1"] = json!(si_no(rng, 0.7));
    r["q04_uso"] = json!(uso);
    if uso != "nunca" {
        // Beneficiaries rate the works 9/10 on average [T14]; sd 1.2 [ASSUMPTION].
        r["q05_satisfaccion"] = json!(normal(rng, 9.0, 1.2).round().clamp(0.0, 10.0) as i64);
    }
    r["q06_funciona"] = json!(weighted(rng, &[("si", 85.0), ("parcialmente", 10.0), ("no", 5.0)]));
    r["q07_participo"] = json!(si_no(rng, 0.2));
    r["q08_familiar_club"] = json!(si_no(rng, 0.3));
    r["q09_remesas"] = json!(si_no(rng, 0.35));
    r["q10_tam_hogar"] = json!(personas);
    if rng.random_bool(0.95) {
        // Per-capita income around the rural poverty line, MXN 1,941.01 (2018 [T21]).
        let hogar = lognormal(rng, 1_941.01, 0.6) * personas as f64;
        r["q11_ingreso_hogar"] = json!(((hogar / 100.0).round() * 100.0).clamp(0.0, 200_000.0) as i64);
    }
    if tipo.starts_with("productivo") {
        r["q12_empleo_generado"] = json!(*weighted(rng, &[(0, 20.0), (1, 25.0), (2, 20.0), (3, 15.0), (4, 8.0), (5, 6.0), (8, 4.0), (12, 2.0)]));
    }
    r
}

fn si_no(rng: &mut StdRng, p_si: f64) -> &'static str {
    if rng.random_bool(p_si) { "si" } else { "no" }
}

// ------------------------------------------------------------------------------------------------

/// A date from parts the generator keeps valid (days ≤ 28).
fn fecha(year: i32, month: u8, day: u8) -> Date {
    let month = Month::try_from(month).expect("month 1–12");
    Date::from_calendar_date(year, month, day).expect("days ≤ 28 exist in every month")
}

fn texto(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), d.month() as u8, d.day())
}

/// One decimal, as progress percentages are reported.
fn decimal(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use campo_sdk::{Input, Logic, Severity};
    use rand::SeedableRng;

    const SCHEMA_PROYECTO: &str = include_str!("../3x1-migrantes/schemas/proyecto.schema.json");
    const SCHEMA_BENEFICIARIO: &str = include_str!("../3x1-migrantes/schemas/beneficiario.schema.json");
    const MANIFEST: &str = include_str!("../3x1-migrantes/manifest.json");

    /// Why the server would refuse these answers: schema errors, logic errors, answers to
    /// non-relevant questions, missing required answers, or a computed value that differs.
    fn refusals(form: &str, answers: &Value, validator: &jsonschema::Validator, settings: &Value) -> Vec<String> {
        let mut problems: Vec<String> = validator.iter_errors(answers).map(|e| format!("schema {}: {e}", e.instance_path().as_str())).collect();
        let mut out = Logic::default();
        tres_por_uno_logic::logic(&Input::new(answers.clone()).for_form(form).with_settings(settings.clone()), &mut out);
        problems.extend(out.issues.iter().filter(|i| i.severity == Severity::Error).map(|i| format!("{} {}", i.path, i.code)));
        let mut answered = Vec::new();
        leaves(answers, String::new(), &mut answered);
        problems.extend(answered.into_iter().filter(|p| !out.is_relevant(p)).map(|p| format!("{p} answered but not relevant")));
        for (path, state) in &out.fields {
            let present = answers.pointer(path).is_some_and(|v| !v.is_null() && v != "" && v != &json!([]));
            if state.required && out.is_relevant(path) && !present {
                problems.push(format!("{path} required but missing"));
            }
        }
        for (path, value) in &out.computed {
            if answers.pointer(path) != Some(value) {
                problems.push(format!("{path} sent {:?}, computed {value}", answers.pointer(path)));
            }
        }
        problems
    }

    fn leaves(v: &Value, at: String, out: &mut Vec<String>) {
        match v {
            Value::Object(map) => map.iter().for_each(|(k, v)| leaves(v, format!("{at}/{k}"), out)),
            Value::Array(items) if !items.is_empty() && items.iter().all(Value::is_object) => {
                out.push(at.clone());
                items.iter().enumerate().for_each(|(i, v)| leaves(v, format!("{at}/{i}"), out));
            }
            _ => out.push(at),
        }
    }

    fn generate(form: &str, seed: u64, n: usize) -> Vec<Value> {
        let mut rng = StdRng::seed_from_u64(seed);
        (0..n).map(|_| answers(form, &mut rng).expect("a known form")).collect()
    }

    fn check_form(form: &str, schema: &str) -> Vec<Value> {
        let schema: Value = serde_json::from_str(schema).unwrap();
        let validator = jsonschema::draft202012::options().should_validate_formats(true).build(&schema).unwrap();
        let settings = serde_json::from_str::<Value>(MANIFEST).unwrap()["settings"].clone();
        let mut all = Vec::new();
        for seed in [1, 2, 2017] {
            for answers in generate(form, seed, 2_000) {
                let problems = refusals(form, &answers, &validator, &settings);
                assert!(problems.is_empty(), "seed {seed}: {problems:#?}\n{answers:#}");
                all.push(answers);
            }
        }
        all
    }

    /// A named kind of response the generator must produce at least once.
    type Case<'a> = (&'a str, &'a dyn Fn(&Value) -> bool);

    fn count(all: &[Value], predicate: impl Fn(&Value) -> bool) -> usize {
        all.iter().filter(|a| predicate(a)).count()
    }

    #[test]
    fn projects_are_always_accepted_and_cover_the_edge_cases() {
        let all = check_form("proyecto", SCHEMA_PROYECTO);
        let at = |a: &Value, p: &str| a.pointer(p).cloned().unwrap_or(Value::Null);
        let cases: &[Case] = &[
            ("rejected ruling", &|a| at(a, "/covam/p22_dictamen") == "rechazado"),
            ("cancelled", &|a| at(a, "/seguimiento/p32_estatus") == "cancelado"),
            ("agreement pending", &|a| at(a, "/seguimiento/p32_estatus") == "en_validacion"),
            ("running without reports", &|a| at(a, "/seguimiento/p38_reportes") == json!([])),
            ("several reports", &|a| at(a, "/seguimiento/p38_reportes").as_array().is_some_and(|r| r.len() > 2)),
            ("Toma de Nota exactly two years old", &|a| {
                let (s, t) = (at(a, "/solicitud/p03_fecha_solicitud"), at(a, "/club/p13_tn_fecha"));
                let (s, t) = (s.as_str().unwrap(), t.as_str().unwrap());
                s[4..] == t[4..] && s[..4].parse::<i32>().unwrap() - t[..4].parse::<i32>().unwrap() == 2
            }),
            ("club of exactly 10", &|a| at(a, "/club/p14_n_socios") == 10),
            ("community project of 5 families", &|a| at(a, "/caracteristicas/p15_tipo") == "productivo_comunitario" && at(a, "/caracteristicas/p17_n_familias") == 5),
            ("family project of 2 families", &|a| at(a, "/caracteristicas/p15_tipo") == "productivo_familiar" && at(a, "/caracteristicas/p17_n_familias") == 2),
            ("family project of 4 families", &|a| at(a, "/caracteristicas/p15_tipo") == "productivo_familiar" && at(a, "/caracteristicas/p17_n_familias") == 4),
            ("individual project", &|a| at(a, "/caracteristicas/p17_n_familias") == 1),
            ("scholarships", &|a| at(a, "/caracteristicas/p16_subtipo") == "becas" && at(a, "/convenio/p30_benef_directos").is_number()),
            ("other contributions", &|a| at(a, "/convenio/p28_ap_otros").as_f64().is_some_and(|v| v > 0.0)),
            ("federal cap exceeded (warning)", &|a| at(a, "/convenio/p24_ap_federal").as_f64().is_some_and(|v| v > 1_000_000.0)),
            ("COVAM outside April–June from 2017 (warning)", &|a| {
                at(a, "/solicitud/p02_ejercicio").as_i64().unwrap() >= 2017 && !["-04-", "-05-", "-06-"].iter().any(|m| at(a, "/covam/p21_covam_fecha").as_str().unwrap().contains(m))
            }),
        ];
        for (name, predicate) in cases {
            assert!(count(&all, predicate) > 0, "no generated project is a case of: {name}");
        }
        let rejected = count(&all, cases[0].1) as f64 / all.len() as f64;
        assert!((0.12..0.18).contains(&rejected), "15 % rejected rulings, got {rejected}");
    }

    #[test]
    fn interviews_are_always_accepted_and_cover_the_skips() {
        let all = check_form("beneficiario", SCHEMA_BENEFICIARIO);
        assert!(count(&all, |a| a["q02_conoce"] == "no") > 0);
        assert!(count(&all, |a| a["q04_uso"] == "nunca") > 0);
        assert!(count(&all, |a| a.get("q12_empleo_generado").is_some()) > 0);
        assert!(count(&all, |a| a["q02_conoce"] == "si" && a.get("q11_ingreso_hogar").is_none()) > 0, "income refused");
        let ratings: Vec<f64> = all.iter().filter_map(|a| a["q05_satisfaccion"].as_f64()).collect();
        let mean = ratings.iter().sum::<f64>() / ratings.len() as f64;
        assert!((8.7..9.1).contains(&mean), "mean rating ≈ 9 [T14], got {mean}");
        let known = all.iter().filter(|a| a["q02_conoce"] == "si").count() as f64;
        let remittances = count(&all, |a| a["q09_remesas"] == "si") as f64 / known;
        assert!((0.32..0.38).contains(&remittances), "35 % remittance households, got {remittances}");
    }

    #[test]
    fn the_same_seed_gives_the_same_answers() {
        assert_eq!(generate("proyecto", 7, 50), generate("proyecto", 7, 50));
        assert_eq!(answers("otro", &mut StdRng::seed_from_u64(1)), None);
    }
}

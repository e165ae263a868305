//! The plan's ports, phones and thresholds: what the site needs of its switches.

use super::*;

impl Validator<'_> {
    pub(super) fn ports(&self, p: &RawPorts) -> Result<PortSelection, PlanError> {
        let globs = |list: &Option<Vec<Spanned<String>>>,
                     default: &[&str]|
         -> Result<Vec<String>, PlanError> {
            match list {
                None => Ok(default.iter().map(|s| s.to_string()).collect()),
                Some(l) => l
                    .iter()
                    .map(|g| {
                        Glob::new(g.get_ref())
                            .map(|_| g.get_ref().clone())
                            .map_err(|e| {
                                self.err(
                                    g,
                                    format!("bad port pattern {:?}: {}", g.get_ref(), e.kind()),
                                )
                            })
                    })
                    .collect(),
            }
        };
        let uplink = match &p.uplink_speed_mbps {
            Some(s) if *s.get_ref() == 0 => {
                return Err(self.err(s, "uplink_speed_mbps must be above 0"));
            }
            Some(s) => *s.get_ref(),
            None => DEFAULT_UPLINK_SPEED_MBPS,
        };
        let mut roles = Vec::new();
        if let Some(map) = &p.roles {
            for (pattern, role) in map.get_ref() {
                Glob::new(pattern).map_err(|e| {
                    self.err(
                        map,
                        format!("bad port pattern {pattern:?} in roles: {}", e.kind()),
                    )
                })?;
                let r = PortRole::from_name(role.get_ref()).ok_or_else(|| {
                    let names: Vec<&str> = PortRole::ALL.iter().map(|r| r.name()).collect();
                    self.err(
                        role,
                        format!(
                            "role {:?} for {pattern:?} is not one of {}",
                            role.get_ref(),
                            names.join(", ")
                        ),
                    )
                })?;
                roles.push((pattern.clone(), r));
            }
        }
        PortSelection::new(
            globs(&p.include, &[])?,
            globs(&p.exclude, DEFAULT_EXCLUDE)?,
            uplink,
        )
        .and_then(|s| s.with_roles(roles))
        .map_err(|e| self.err_at(1, format!("port patterns: {e}")))
    }

    pub(super) fn phones(&self, p: &RawPhones) -> Result<Phones, PlanError> {
        let named = [
            p.model.is_some(),
            p.class.is_some(),
            p.watts.is_some(),
            p.models.is_some(),
        ];
        if named.iter().filter(|&&b| b).count() > 1 {
            let line = [
                p.model.as_ref().map(|s| self.line(&s.span())),
                p.class.as_ref().map(|s| self.line(&s.span())),
                p.watts.as_ref().map(|s| self.line(&s.span())),
            ]
            .into_iter()
            .flatten()
            .next()
            .unwrap_or(1);
            return Err(self.err_at(line, "phones: set one of model, models, class or watts"));
        }
        let mut phones = Phones::default();
        let find = |m: &Spanned<String>| {
            find_model(m.get_ref()).ok_or_else(|| {
                let known: Vec<&str> = MODELS.iter().map(|m| m.name).collect();
                self.err(
                    m,
                    format!(
                        "unknown phone model {:?}; known: {}; or give class or watts",
                        m.get_ref(),
                        known.join(", ")
                    ),
                )
            })
        };
        let modules = |b: &Option<Spanned<u8>>| -> Result<u8, PlanError> {
            match b {
                Some(n) if *n.get_ref() > 3 => Err(self.err(
                    n,
                    format!("button_modules must be 0-3, not {}", n.get_ref()),
                )),
                Some(n) => Ok(*n.get_ref()),
                None => Ok(0),
            }
        };
        if let Some(m) = &p.model {
            let model = find(m)?;
            let b = modules(&p.button_modules)?;
            phones.budget_mw = model.budget_with(b);
            phones.source = describe(model, b);
            phones.models.push(PlannedModel {
                model,
                count: None,
                button_modules: b,
            });
        } else if let Some(b) = &p.button_modules {
            return Err(self.err(b, "button_modules needs a model"));
        }
        if let Some(list) = &p.models {
            if list.get_ref().is_empty() {
                return Err(self.err(list, "phones.models is empty"));
            }
            for entry in list.get_ref() {
                let e = entry.get_ref();
                let model = find(&e.model)?;
                let b = modules(&e.button_modules)?;
                phones.models.push(PlannedModel {
                    model,
                    count: e.count.as_ref().map(|c| *c.get_ref()),
                    button_modules: b,
                });
            }
            let counted = phones.models.iter().filter(|m| m.count.is_some()).count();
            if counted != 0 && counted != phones.models.len() {
                return Err(self.err(
                    list,
                    "phones.models: give every model a count, or none (then every socket is budgeted for the largest)",
                ));
            }
            if counted > 0 && p.count.is_some() {
                return Err(self.err(
                    list,
                    "phones.models has counts, so phones.count must not be set too",
                ));
            }
            let biggest = phones
                .models
                .iter()
                .max_by_key(|m| m.model.budget_with(m.button_modules))
                .expect("not empty");
            phones.budget_mw = biggest.model.budget_with(biggest.button_modules);
            phones.source = format!(
                "{} model(s), the largest {}",
                phones.models.len(),
                describe(biggest.model, biggest.button_modules)
            );
            if counted > 0 {
                phones.count = Some(phones.models.iter().filter_map(|m| m.count).sum());
            }
        }
        if let Some(c) = &p.class {
            let class = u8::try_from(*c.get_ref()).ok().filter(|&c| c <= 8);
            let class = class
                .ok_or_else(|| self.err(c, format!("class must be 0-8, not {}", c.get_ref())))?;
            phones.budget_mw = class_mw(class).expect("0-8");
            phones.source = format!("class {class}");
        }
        if let Some(w) = &p.watts {
            let v = *w.get_ref();
            if !(0.1..=100.0).contains(&v) {
                return Err(self.err(w, format!("watts must be between 0.1 and 100, not {v}")));
            }
            phones.budget_mw = (v * 1000.0).round() as u32;
            phones.source = format!("{} W", watts(phones.budget_mw));
        }
        if phones.count.is_none() {
            phones.count = p.count.as_ref().map(|c| *c.get_ref());
        }
        phones.poe = p.poe.unwrap_or(true);
        Ok(phones)
    }

    pub(super) fn thresholds(&self, t: &RawThresholds) -> Result<Thresholds, PlanError> {
        let mut out = Thresholds::default();
        let pct = |v: &Spanned<i64>, what: &str, max: i64| -> Result<u8, PlanError> {
            match *v.get_ref() {
                n if (0..=max).contains(&n) => Ok(n as u8),
                n => Err(self.err(v, format!("{what} must be 0-{max}, not {n}"))),
            }
        };
        if let Some(h) = &t.poe_headroom_pct {
            out.poe_headroom_pct = pct(h, "poe_headroom_pct", 90)?;
        }
        if let Some(e) = &t.max_errors_per_day {
            out.max_errors_per_day = *e.get_ref();
        }
        if let Some(r) = &t.ready_score {
            out.ready_score = pct(r, "ready_score", 100)?;
        }
        if let Some(a) = &t.at_risk_score {
            out.at_risk_score = pct(a, "at_risk_score", 100)?;
        }
        if out.at_risk_score > out.ready_score {
            let at = t
                .at_risk_score
                .as_ref()
                .or(t.ready_score.as_ref())
                .expect("one was set");
            return Err(self.err(at, "at_risk_score must not be above ready_score"));
        }
        Ok(out)
    }
}

/// A model as the plan summary names it: `avaya-9641g (class 2)`.
fn describe(model: &PhoneModel, modules: u8) -> String {
    let extra = match modules {
        0 => String::new(),
        n => format!(", {n} button module(s)"),
    };
    match model.class_with(modules) {
        Some(c) => format!("{} (class {c}{extra})", model.name),
        None => format!(
            "{} ({} W{extra})",
            model.name,
            watts(model.budget_with(modules))
        ),
    }
}

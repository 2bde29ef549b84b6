// Cost model: cloud price per GPU-hour, or owned hardware amortized with power and maintenance;
// per million output tokens, per month at a daily volume, total over the horizon, break-even.
#include "dsplan/cost/cost.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "dsplan/base/error.hpp"
#include "dsplan/base/text.hpp"

namespace dsplan {

namespace {

constexpr double k_hours_per_year = 8760.0;

std::optional<std::pair<double, std::string>> purchase_price(const Catalog& cat, const std::string& gpu) {
  for (const auto& p : cat.purchase_prices)
    if (p.gpu == gpu && p.usd > 0)
      return std::make_pair(p.usd, fmt::format("{}: ${:.0f} ({}, {}; {})", gpu, p.usd, p.kind, p.date, p.source));
  if (const auto* g = cat.gpu_by_id(gpu); g && g->launch_price_usd && *g->launch_price_usd > 0)
    return std::make_pair(*g->launch_price_usd,
                          fmt::format("{}: ${:.0f} (launch price, {})", gpu, *g->launch_price_usd, g->launch_price_date));
  return std::nullopt;
}

/// GPUs of type `id` in one node of `hw` (a mixed box counts each type on its own).
std::uint64_t same_gpus_per_node(const Hardware& hw, const std::string& id) {
  return static_cast<std::uint64_t>(
      std::count_if(hw.gpus.begin(), hw.gpus.end(), [&](const auto& g) { return g.id == id; }));
}

/// What renting `hw` takes of GPU `id`: its GPUs per box, up to the part's gpus_per_node (a box
/// of 16 H100 is rented as two 8-GPU instances), and a cluster when that is more than one box.
CloudShape cloud_shape(const Catalog& cat, const Hardware& hw, const std::string& id) {
  const std::uint64_t per_box = same_gpus_per_node(hw, id);
  const auto* spec = cat.gpu_by_id(id);
  const std::uint64_t per_instance = spec != nullptr ? std::min(per_box, spec->gpus_per_node) : per_box;
  return {per_instance, hw.nodes > 1 || per_box > per_instance};
}

void add_note_once(std::vector<std::string>& notes, std::string note) {
  if (std::find(notes.begin(), notes.end(), note) == notes.end()) notes.push_back(std::move(note));
}

}  // namespace

std::string shape_note(const std::string& gpu_name, CloudShape shape, const CloudPrice& fallback) {
  return fmt::format(
      "no {} offering in the catalog rents {} GPUs in one instance{}: priced at the nearest listing ({} {}, "
      "${:.2f}/GPU-h), which this deployment may not get (%price% USD per GPU-hour overrides)",
      gpu_name, shape.gpus_per_instance, shape.multi_node ? " as a multi-node cluster" : "", fallback.provider,
      fallback.offering, fallback.usd_per_gpu_hour);
}

namespace {

/// The host of one node, priced from the catalog (prices.json host_prices): CPU(s), RAM, disk
/// for the model files, and the platform. Apple machines are priced as systems (the GPU line).
std::vector<BomLine> host_bom(const Catalog& cat, const Hardware& hw, const HostNeeds& needs, bool server) {
  std::vector<BomLine> bom;
  const double nodes = static_cast<double>(hw.nodes);
  const HostPrices& prices = cat.host_prices;
  const CostDefaults& d = cat.cost_defaults;
  const auto line = [&](std::string item, double qty, std::string unit, const HostPrice* p) {
    BomLine l{std::move(item), qty * nodes, std::move(unit), 0, 0, p != nullptr, ""};
    if (p) {
      l.usd_each = p->usd;
      l.usd = l.usd_each * l.quantity;
      l.source = fmt::format("${:.2f} ({}, {}; {})", p->usd, p->what.empty() ? p->key : p->what, p->date, p->source);
    }
    bom.push_back(std::move(l));
  };
  // RAM: what was given, else what the layout keeps in RAM, at least the GPU memory (to stage
  // the weights), in 32 GiB steps.
  std::uint64_t gpu_memory = 0;
  for (const auto& g : hw.gpus) gpu_memory += g.memory_installed.count();
  const std::uint64_t ram =
      hw.host.ram ? hw.host.ram->count() : round_up(std::max(needs.ram.count(), gpu_memory), 32 * k_gib, "host RAM");
  // CPU: the one named (--cpu), else the catalog's representative part for the platform; a
  // desk-side machine with more RAM than a desktop platform holds needs a many-channel part.
  const bool named = hw.host.cpu != k_default_cpu && hw.host.cpu != "generic";
  const bool large_memory = !server && !named && d.desktop_max_ram_gib > 0 && !d.host_cpu_large_memory.empty() &&
                            ram > d.desktop_max_ram_gib * k_gib;
  const std::string cpu = named          ? hw.host.cpu
                          : server       ? d.host_cpu_server
                          : large_memory ? d.host_cpu_large_memory
                                         : d.host_cpu_desktop;
  // A named CPU comes in the sockets given (%sockets%); the representative part in the platform's.
  const double sockets = named    ? static_cast<double>(std::max<std::uint64_t>(1, hw.host.sockets))
                         : server ? static_cast<double>(d.host_cpus_per_server)
                                  : 1.0;
  const auto* cpu_spec = cat.find_cpu(cpu);
  // The priced part is not the one the speeds assume (the catalog's generic desktop): where weights
  // run on the CPU (more in RAM than the embedding llama.cpp keeps there), say which that is.
  const auto* timed = cat.find_cpu(hw.host.cpu);
  const bool cpu_timed = needs.ram.count() > k_gib;
  const std::string platform =
      large_memory ? fmt::format("a desktop platform holds at most {} GiB of RAM; ", d.desktop_max_ram_gib) : "";
  const std::string why = platform + (cpu_timed ? "a representative price; speeds assume the " +
                                                      (timed ? timed->name : hw.host.cpu) + "; %cpu% names yours"
                                                : "representative; %cpu% names yours");
  line((cpu_spec ? cpu_spec->name : cpu) + (named ? "" : " (" + why + ")"), sockets, "CPU",
       prices.find(prices.cpus, cpu));
  // Server and workstation CPUs (more than two memory channels: EPYC, Xeon, Threadripper PRO)
  // take registered DIMMs; desktop parts unbuffered ones.
  const bool registered = server || (cpu_spec && cpu_spec->memory_channels > 2);
  line(registered ? "RAM, registered DDR5" : "RAM, DDR5", static_cast<double>(ram) / static_cast<double>(k_gib), "GiB",
       prices.find(prices.ram_per_gib, registered ? "server" : "desktop"));
  // Disk: the model files, in whole TB.
  const double tb = std::max(1.0, std::ceil(static_cast<double>(needs.disk.count()) / 1e12));
  line("NVMe storage for the model files", tb, "TB", prices.find(prices.storage_per_tb, "nvme"));
  line(server ? "GPU server platform (board, chassis, PSUs, cooling, NICs)" : "Workstation platform (board, case, PSU)",
       1.0, "node", prices.find(prices.platforms, server ? "server" : "workstation"));
  return bom;
}

/// Adds `n` GPUs of one kind to the bill, merging with the line of the same card and price.
void add_gpus(std::vector<BomLine>& bom, const std::string& name, double n, double usd_each, const std::string& source) {
  for (auto& l : bom)
    if (l.unit == "GPU" && l.item == name && l.usd_each == usd_each) {
      l.quantity += n;
      l.usd += usd_each * n;
      return;
    }
  bom.push_back({name, n, "GPU", usd_each, usd_each * n, true, source});
}

bool desk_side(const Hardware& hw) {
  return std::all_of(hw.gpus.begin(), hw.gpus.end(),
                     [](const Device& d) { return d.device_class != DeviceClass::hbm; });
}

}  // namespace

CostEstimate estimate_cost(const Catalog& cat, const Hardware& hw, double tps, const CostRequest& r,
                           const HostNeeds& needs, Derivation* explain) {
  CostEstimate c;
  if (!(tps > 0) || !std::isfinite(tps)) throw InternalError("cost of a deployment that produces no tokens");
  const CostDefaults& d = cat.cost_defaults;
  const double tokens_per_hour = tps * 3600.0;
  c.tokens_per_day = r.tokens_per_day.value_or(tokens_per_hour * 24.0);
  // Serving more than 24 hours of output a day takes replicas; the cost scales the same way.
  c.hours_per_day = r.tokens_per_day ? c.tokens_per_day / tokens_per_hour : 24.0;  // exact when not given
  const double nodes = static_cast<double>(hw.nodes);

  // Cloud.
  CloudCost cloud;
  bool cloud_ok = !hw.gpus.empty();
  std::vector<std::string> sourced;  // GPU types whose price source is listed
  const CloudPrice* p = nullptr;     // the offering of the previous device's type
  const std::string* p_id = nullptr;
  for (const auto& g : hw.gpus) {
    if (r.usd_per_gpu_hour) {
      cloud.usd_per_hour += *r.usd_per_gpu_hour * nodes;
      continue;
    }
    if (p_id == nullptr || *p_id != g.id) {  // a box holds runs of one type: look each run up once
      const CloudShape shape = cloud_shape(cat, hw, g.id);
      const auto [offer, shape_met] = cat.cloud_price_for(g.id, shape);
      if (offer && !shape_met) add_note_once(c.notes, shape_note(g.name, shape, *offer));
      p = offer;
      p_id = &g.id;
    }
    if (!p) {
      cloud_ok = false;
      c.notes.push_back("no cloud price for " + g.name + " in the catalog: give %price% USD per GPU-hour");
      break;
    }
    cloud.usd_per_hour += p->usd_per_gpu_hour * nodes;
    // One source line per GPU type (the same type always gets the same offering), formatted
    // once: recommend --cloud prices thousands of deployments of up to 16 GPUs each.
    if (!contains(sourced, g.id)) {
      sourced.push_back(g.id);
      cloud.price_sources.push_back(fmt::format("{}: ${:.2f}/GPU-h, {} {} ({}; {})", g.id, p->usd_per_gpu_hour,
                                                p->provider, p->offering, p->date, p->source));
    }
  }
  if (r.usd_per_gpu_hour) cloud.price_sources.push_back(fmt::format("%price% ${:.2f}/GPU-h", *r.usd_per_gpu_hour));
  if (cloud_ok) {
    // Offerings are priced per GPU; the RAM and CPU a layout with weights in RAM needs come with
    // whatever instance rents the GPUs, which the price does not say.
    constexpr double k_ram_worth_a_note_gib = 1.0;  // buffers alone stay below it
    if (needs.ram.gib() > k_ram_worth_a_note_gib)
      c.notes.push_back(
          fmt::format("the cloud price is the GPUs' alone: this plan also keeps {:.1f} GiB in system RAM, "
                      "which an instance renting them must have (its CPU then sets the speed of "
                      "that part)",
                      needs.ram.gib()));
    cloud.usd_per_million_tokens = cloud.usd_per_hour / tokens_per_hour * 1e6;
    cloud.usd_per_month = cloud.usd_per_hour * c.hours_per_day / 24.0 * k_hours_per_month;
    if (explain)
      explain->push_back(
          {"cloud cost",
           fmt::format("${:.4f}/h / ({:.2f} output tokens/s x 3600 s) x 1e6 = ${:.4f} per 1M output tokens; "
                       "${:.4f}/h x {:.2f} h/day / 24 x {:.0f} h/month = ${:.2f}/month",
                       cloud.usd_per_hour, tps, cloud.usd_per_million_tokens, cloud.usd_per_hour, c.hours_per_day,
                       k_hours_per_month, cloud.usd_per_month),
           join(cloud.price_sources, "; ")});
    c.cloud = cloud;
  }

  // Owned.
  OwnedCost owned;
  owned.years = r.years.value_or(d.amortization_years);
  bool owned_ok = true;
  double gpu_watts = 0;
  // A machine without GPUs is its host alone: the CPU draws the load share of its TDP.
  double cpu_watts = 0;
  if (hw.gpus.empty()) {
    if (r.usd_per_gpu_hour)
      throw InputError(
          "%price% is a price per GPU-hour, and this plan runs on the CPU alone (no cloud price; the "
          "owned machine is costed)");
    if (r.purchase_usd_per_gpu)
      throw InputError(
          "%purchase_price% is a price per GPU, and this plan runs on the CPU alone (%host_price% prices "
          "the machine)");
    // The timed CPU's TDP, else the representative part the bill of materials prices.
    const CpuSpec* cpu = cat.find_cpu(hw.host.cpu);
    if (!cpu || cpu->tdp_watts <= 0) cpu = cat.find_cpu(d.host_cpu_desktop);
    if (cpu && cpu->tdp_watts > 0)
      cpu_watts = cpu->tdp_watts * static_cast<double>(hw.host.sockets) * d.gpu_power_fraction * nodes;
    else
      add_note_once(c.notes, "no power figure for the CPU in the catalog: electricity is not in the owned cost");
  }
  std::optional<std::pair<double, std::string>> price;
  std::string price_id;
  double system_watts = 0;  // whole machines: their own draw at the wall, host included
  for (const auto& g : hw.gpus) {
    (g.whole_system ? system_watts : gpu_watts) += g.tdp_watts * d.gpu_power_fraction * nodes;
    if (g.tdp_watts <= 0)
      add_note_once(c.notes, "no power figure for " + g.name + " in the catalog: electricity is not in the owned cost");
    if (r.purchase_usd_per_gpu) {
      owned.purchase_usd += *r.purchase_usd_per_gpu * nodes;
      add_gpus(owned.bom, g.name, nodes, *r.purchase_usd_per_gpu, "%purchase_price%");
      continue;
    }
    if (!price || price_id != g.id) {  // the same type as the previous device: the same price
      price = purchase_price(cat, g.id);
      price_id = g.id;
    }
    if (!price) {
      owned_ok = false;
      c.notes.push_back("no purchase price for " + g.name + " in the catalog: give %purchase_price% USD per GPU");
      break;
    }
    owned.purchase_usd += price->first * nodes;
    add_gpus(owned.bom, g.name, nodes, price->first, price->second);
    if (std::find(owned.price_sources.begin(), owned.price_sources.end(), price->second) == owned.price_sources.end())
      owned.price_sources.push_back(price->second);
  }
  if (owned_ok) {
    const bool whole_system =
        std::any_of(hw.gpus.begin(), hw.gpus.end(), [](const Device& g) { return g.whole_system; });
    if (r.host_usd_per_node) {
      owned.bom.push_back({"Host (%host_price%)", static_cast<double>(hw.nodes), "node", *r.host_usd_per_node,
                           *r.host_usd_per_node * static_cast<double>(hw.nodes), true, "%host_price%"});
    } else if (!whole_system) {
      const auto host = host_bom(cat, hw, needs, !desk_side(hw));
      owned.bom.insert(owned.bom.end(), host.begin(), host.end());
      std::string unpriced;
      for (const auto& l : host)
        if (!l.priced) unpriced += (unpriced.empty() ? "" : ", ") + l.item;
      if (!unpriced.empty())
        c.notes.push_back("host parts without a sourced price, not in the TCO: " + unpriced + " (%host_price% USD per node prices the whole host)");
    }
    for (const auto& l : owned.bom)
      if (l.unit != "GPU") owned.host_usd += l.usd;
    const double pue = r.pue.value_or(desk_side(hw) ? d.pue_desk : d.pue_datacenter);
    const double kwh = r.electricity_usd_per_kwh.value_or(d.electricity_usd_per_kwh);
    const double maintenance = r.maintenance_fraction_per_year.value_or(d.maintenance_fraction_per_year);
    owned.power_watts = (gpu_watts * (1.0 + d.host_power_fraction) + system_watts + cpu_watts) * pue;
    const double hardware_usd = owned.purchase_usd + owned.host_usd;
    const double fixed_per_hour = hardware_usd * (1.0 / owned.years + maintenance) / k_hours_per_year;
    const double power_per_hour = owned.power_watts / 1000.0 * kwh;
    owned.usd_per_hour = fixed_per_hour + power_per_hour;
    // Owned hardware costs its amortization and maintenance whether busy or not; power only
    // while serving. Beyond 24 h of output a day the same hardware is bought again.
    // (The relative tolerance keeps 24 h computed as 24.000000000000004 from buying twice.)
    const double units = std::max(1.0, std::ceil(c.hours_per_day / 24.0 * (1.0 - 1e-9)));
    c.deployments = static_cast<std::uint64_t>(units);
    const double fixed_per_month = fixed_per_hour * k_hours_per_month * units;
    owned.usd_per_month = fixed_per_month + power_per_hour * c.hours_per_day / 24.0 * k_hours_per_month;
    owned.tco_usd = hardware_usd * units * (1.0 + maintenance * owned.years) +
                    power_per_hour * c.hours_per_day * 365.0 * owned.years;
    // Per token of the demand: the hardware is paid for whether busy or idle, so a deployment
    // used a few hours a day costs more per token than one serving around the clock.
    owned.usd_per_million_tokens = owned.usd_per_month / (c.tokens_per_day * k_hours_per_month / 24.0) * 1e6;
    if (explain)
      explain->push_back(
          {"owned cost",
           fmt::format("hardware ${:.0f} (GPUs ${:.0f} + host ${:.0f}) x (1 / {:.1f} years + {:.3f} maintenance) / "
                       "8760 h = ${:.4f}/h; power {:.0f} W at the wall (PUE {:.2f}) x ${:.3f}/kWh = ${:.4f}/h; month "
                       "= ${:.4f}/h x {:.0f} h x {:.0f} deployment(s) + power x {:.2f} h/day / 24 x {:.0f} h = "
                       "${:.2f}; per 1M output tokens = ${:.2f} / ({:.0f} tokens/day x {:.2f} days) x 1e6 = ${:.4f}; "
                       "TCO over {:.1f} years = ${:.0f}",
                       hardware_usd, owned.purchase_usd, owned.host_usd, owned.years, maintenance, fixed_per_hour,
                       owned.power_watts, pue, kwh, power_per_hour, fixed_per_hour, k_hours_per_month, units,
                       c.hours_per_day, k_hours_per_month, owned.usd_per_month, owned.usd_per_month, c.tokens_per_day,
                       k_hours_per_month / 24.0, owned.usd_per_million_tokens, owned.years, owned.tco_usd),
           join(owned.price_sources, "; ") + "; cost_defaults in data/prices.json (docs/methodology.md section 9)"});
    c.owned = owned;
    if (c.cloud) {
      // Owning wins where each deployment's daily tokens save more on the cloud's price than its
      // fixed cost: above fixed / (cloud - power) per token, per deployment. A deployment serves
      // at most 24 hours of tokens, so past that owning never wins, whatever the demand.
      const double cloud_per_token = cloud.usd_per_hour / tokens_per_hour;
      const double power_per_token = power_per_hour / tokens_per_hour;
      const double break_even = cloud_per_token > power_per_token
                                    ? fixed_per_hour * 24.0 / (cloud_per_token - power_per_token)
                                    : std::numeric_limits<double>::infinity();
      if (break_even <= tokens_per_hour * 24.0)
        c.break_even_tokens_per_day = break_even;
      else
        c.notes.push_back(fmt::format(
            "owning never beats the cloud here: serving around the clock, one deployment's hardware and power cost "
            "${:.2f} per 1M output tokens, the cloud ${:.2f}",
            (fixed_per_hour + power_per_hour) / tokens_per_hour * 1e6, cloud.usd_per_million_tokens));
    }
  }
  return c;
}

}  // namespace dsplan

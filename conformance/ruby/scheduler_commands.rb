# frozen_string_literal: false
#
# resque-compat conformance driver: resque-scheduler commands (ours; no resque-scheduler code).
# resque-scheduler comes from RESQUE_SCHEDULER_LIB (`ruby -I <lib>`) or an installed gem.
#
#   sched      method, args? [...], where? {"index": i, "equals": v}
#       Resque.<method>(*args) of resque-scheduler's client API. In args, {"__class__": name}
#       is a class defined by define_job (or the string when undefined) and {"__time__": epoch}
#       a Time; `where` gives the block of the *_selection methods (args[index] == equals).
#       Results: Times as epochs, everything else as JSON.
#   scheduler  env? {VAR: value}, schedule? {name: config}, log?
#       Resque::Scheduler.run in a forked subprocess (signals and the master lock are real);
#       env is set there first (RESQUE_SCHEDULER_INTERVAL, DYNAMIC_SCHEDULE, LOCK_TIMEOUT ...),
#       schedule is given to Resque.schedule=. -> {"pid"}
#   scheduler_lock                           -> {"key", "value", "ttl"} of the master lock as
#                                               resque-scheduler names it
#   sched_web_get path                       -> web_get with resque-scheduler's tabs loaded
#                                               (resque/scheduler/server), dynamic schedules on
#   sched_parse crons [[text, from_epoch, n]], durations [text]
#       How rufus-scheduler (fugit) reads them: the next n times of each cron after
#       from_epoch (null when it refuses the text), each duration's seconds (null: refused).
module ConformanceScheduler
  class Unavailable < StandardError; end

  module_function

  def load!
    return if @loaded

    require "resque-scheduler"
    @loaded = true
  rescue LoadError => e
    raise Unavailable, "resque-scheduler is not on the load path (set RESQUE_SCHEDULER_LIB): #{e.message}"
  end

  def version
    load!
    Resque::Scheduler::VERSION
  rescue Unavailable
    nil
  end

  def arg(driver, value)
    case value
    when Hash
      return driver.klass_arg(value["__class__"]) if value.key?("__class__")
      return Time.at(value["__time__"]) if value.key?("__time__")

      value.transform_values { |v| arg(driver, v) }
    when Array then value.map { |v| arg(driver, v) }
    else value
    end
  end

  def call(driver, req)
    load!
    args = arg(driver, req["args"] || [])
    where = req["where"]
    result =
      if where
        Resque.send(req.fetch("method"), *args) { |a| a[where.fetch("index")] == where.fetch("equals") }
      else
        Resque.send(req.fetch("method"), *args)
      end
    plain(result)
  end

  def plain(value)
    case value
    when Time then value.to_i
    when Array then value.map { |v| plain(v) }
    when Hash then value.to_h { |k, v| [k.to_s, plain(v)] }
    else value
    end
  end

  def run(driver, req)
    load!
    $stdout.flush
    pid = fork do
      $stdin.reopen(File::NULL)
      $stdout.reopen(req["log"] || File::NULL, "a")
      $stderr.reopen($stdout)
      (req["env"] || {}).each { |k, v| ENV[k] = v.nil? ? nil : v.to_s }
      driver.connect!
      Resque.schedule = req["schedule"] if req["schedule"]
      Resque::Scheduler.run
      exit!(0)
    rescue Exception => e # rubocop:disable Lint/RescueException
      warn "#{e.class}: #{e.message}\n#{(e.backtrace || []).first(10).join("\n")}"
      exit!(1)
    end
    { "pid" => pid }
  end

  def parse(req)
    load!
    crons = (req["crons"] || []).map do |text, from, n|
      cron = Fugit::Cron.parse(text)
      next [text, from, nil] unless cron

      t = EtOrbi::EoTime.new(from.to_f, "UTC")
      [text, from, Array.new(n) { t = cron.next_time(t); t.to_i }]
    end
    durations = (req["durations"] || []).map do |text|
      [text, Rufus::Scheduler.parse_duration(text)]
    rescue ArgumentError
      [text, nil]
    end
    { "crons" => crons, "durations" => durations }
  end

  def web_get(driver, req)
    load!
    require "resque/server"
    require "resque/scheduler/server"
    # as with DYNAMIC_SCHEDULE: the Schedule tab reloads persistent_schedules on every GET
    Resque::Scheduler.dynamic = true
    driver.web_get(req)
  end

  def lock(_driver)
    load!
    key = Resque::Scheduler.send(:master_lock_key)
    { "key" => key, "value" => Resque::Scheduler.master_lock.value,
      "ttl" => Resque.redis.ttl(key) }
  end
end

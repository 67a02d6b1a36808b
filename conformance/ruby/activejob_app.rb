# frozen_string_literal: true
#
# The miniature Rails 6.1 app every Ruby ActiveJob side of the project runs: the conformance
# driver's ActiveJob mode, fixtures/activejob/record.rb and fixtures/activejob/ruby_worker.rb.
# Load ActiveJob, GlobalID and the Resque adapter first; then call RailsApp.configure!.

module RailsApp
  module_function

  # ActiveJob on Resque with the settings the recorded fixtures assume, and two GlobalID
  # models (Invoice, Person) whose records are found by any id.
  def configure!
    ActiveJob::Base.queue_adapter = :resque
    ActiveJob::Base.logger = Logger.new(nil)
    GlobalID.app = "myapp"
    Time.zone = "UTC"
    I18n.available_locales = %i[en fr]
    define_records!
  end

  def define_records!
    return if Object.const_defined?(:Invoice)

    record = Class.new do
      include GlobalID::Identification
      attr_reader :id

      def initialize(id)
        @id = id
      end

      def self.find(id)
        new(id.to_i)
      end

      def inspect
        "#<#{self.class.name} id=#{id}>"
      end
    end
    Object.const_set(:Invoice, Class.new(record))
    Object.const_set(:Person, Class.new(record))
  end
end

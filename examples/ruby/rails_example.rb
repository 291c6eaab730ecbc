# frozen_string_literal: true

# rails_example.rb: docs/rails.md's worked example, run as it is written: a Rails
# controller that estimates from a form's params, driven by the requests a browser sends.
# It needs Rails's ActionPack (Debian: ruby-actionpack) and nothing else of Rails:
#
#   ruby -I examples/ruby/lib examples/ruby/rails_example.rb [MODEL]
#
# prints each request, its status and its JSON body. test_rails.rb runs it and checks
# the bodies against engrate-estimate --json.

require "action_controller"
require "rack/mock"
require "engrate"

# config/initializers/engrate.rb: one model per process, loaded once, shared by all
# threads (and by forked workers: Puma's preload_app! loads it before forking).
ENGRATE_MODEL = Engrate::Model.load(ARGV[0]).freeze

# app/controllers/estimates_controller.rb
class EstimatesController < ActionController::API
  rescue_from Engrate::Error do |e|
    render json: { error: e.text, code: e.reason }, status: :unprocessable_entity
  end

  # POST /estimates, from a form with a role select, a skills multi-select, a free-text
  # certifications field ("PMP、ITIL") and a years field.
  def create
    result = ENGRATE_MODEL.estimate(estimate_params, lang: params.fetch(:lang, "en"))
    render json: result
  end

  # POST /estimates/whatif: the three single changes that raise the estimate most, and
  # the fewest additions that reach the rate the visitor typed ("150万").
  def whatif
    profile = estimate_params
    render json: { whatif: ENGRATE_MODEL.whatif(profile, top: 3),
                   target: ENGRATE_MODEL.whatif_target(params.require(:target), profile) }
  end

  # GET /estimates/choices: the options of the form's selects, in the visitor's language.
  def choices
    lang = params.fetch(:lang, "en")
    render json: %w[role skills certs].to_h { |id| [id, ENGRATE_MODEL.choices(id, lang: lang)] }
  end

  private

  def estimate_params
    params.require(:engineer).permit(:role, :certs, :years, skills: [])
  end
end

# What a browser sends: the form's fields as application/x-www-form-urlencoded. Rails
# multi-selects send an empty value first; an untouched years field is "".
REQUESTS = [
  ["POST", "/estimates", "engineer[role]=pmo&engineer[skills][]=&engineer[skills][]=java" \
                         "&engineer[certs]=PMP&engineer[years]=8"],
  ["POST", "/estimates", "engineer[role]=%E3%83%97%E3%83%AD%E3%83%9E%E3%83%8D" \
                         "&engineer[skills][]=&engineer[skills][]=Java&engineer[skills][]=jva" \
                         "&engineer[certs]=&engineer[years]=&lang=ja"],
  ["POST", "/estimates", "engineer[role]=se&engineer[years]=abc"],
  ["GET", "/estimates/choices?lang=ja", nil],
  ["POST", "/estimates/whatif", "engineer[role]=pm&engineer[skills][]=&engineer[skills][]=java" \
                                "&engineer[years]=8&target=150%E4%B8%87"]
].freeze

if $PROGRAM_NAME == __FILE__
  REQUESTS.each do |method, path, body|
    action = path[%r{\A/estimates/(\w+)}, 1]&.to_sym || :create
    env = Rack::MockRequest.env_for(path, method: method, input: body,
                                          "CONTENT_TYPE" => "application/x-www-form-urlencoded")
    status, _headers, response = EstimatesController.action(action).call(env)
    text = +""
    response.each { |part| text << part }
    puts "#{method} #{path}#{body ? " #{body}" : ""}", "#{status} #{text}"
  end
end

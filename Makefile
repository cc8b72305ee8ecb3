# Entry points for a fresh machine (Python 3.11, no GPU):
#   make demo  - set up .venv if needed, make the synthetic data, train
#                DTRP-Loc, evaluate it and print the mAP table
#   make test  - set up .venv if needed and run the test suite
#   make figure - the README's figure (docs/figures/example_detection.png)
#                from the demo's run: tools/inference.py --vis on one
#                synthetic test video with the best checkpoint (make demo first)
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.mmtrpn-installed
DEMO_DATA ?= data/synthetic
DEMO_WORK_DIR ?= work_dirs/trpn_synthetic
DEMO_CONFIG ?= configs/dtrp_loc/trpn_synthetic.py
FIGURE_VIDEO ?= video_test_00055
FIGURE_DIR := $(DEMO_WORK_DIR)/figure

.PHONY: demo test figure install clean-demo

install: $(STAMP)

$(STAMP): requirements/runtime.txt requirements/tests.txt setup.py
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -r requirements/runtime.txt -r requirements/tests.txt
	$(PY) -m pip install -q --no-deps --no-build-isolation -e .
	touch $(STAMP)

demo: $(STAMP)
	$(PY) tools/demo.py --config $(DEMO_CONFIG) --data-root $(DEMO_DATA) \
		--work-dir $(DEMO_WORK_DIR)

figure: $(STAMP)
	$(PY) tools/inference.py $(DEMO_CONFIG) $(DEMO_WORK_DIR) $(FIGURE_VIDEO) \
		--data-root $(DEMO_DATA) --out $(FIGURE_DIR)/results.json \
		--vis $(FIGURE_DIR)
	cp $(FIGURE_DIR)/$(FIGURE_VIDEO).png docs/figures/example_detection.png

test: $(STAMP)
	$(PY) -m pytest tests

clean-demo:
	rm -rf $(DEMO_DATA) $(DEMO_WORK_DIR)

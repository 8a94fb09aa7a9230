.PHONY: demo test stop

demo:  ## start the service with the Ordos data on a project-local PostGIS
	@bash scripts/demo.sh

test:  ## run the whole test suite on a throwaway PostGIS cluster
	@bash scripts/test.sh

stop:  ## stop this checkout's demo cluster
	@bash -c 'source scripts/common.sh && scripts/pgcluster.sh stop "$$(demo_cluster_dir)"'

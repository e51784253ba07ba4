(function(){var f=document.getElementById("pl");if(!f)return;
function send(b){b.sighting=P.sighting;b.token=P.token;var x=new XMLHttpRequest();
x.open("POST",location.pathname+"/place");x.setRequestHeader("Content-Type","application/json");
x.onload=function(){if(x.status<300){document.getElementById("done").hidden=false;}};
x.send(JSON.stringify(b));}
document.getElementById("geo").onclick=function(){if(!navigator.geolocation)return;
navigator.geolocation.getCurrentPosition(function(p){send({lat:Math.round(p.coords.latitude*100)/100,lon:Math.round(p.coords.longitude*100)/100});},function(){},{enableHighAccuracy:false,timeout:15000,maximumAge:600000});};
f.onsubmit=function(ev){ev.preventDefault();var c=f.city.value;if(c)send({city:c});};})();
